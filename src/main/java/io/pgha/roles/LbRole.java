package io.pgha.roles;

import io.pgha.model.ClusterSpec;
import io.pgha.model.Role;
import io.pgha.resources.DirectoryResource;
import io.pgha.resources.FileResource;
import io.pgha.resources.Owner;
import io.pgha.resources.ProcessResource;
import io.pgha.resources.Resource;
import io.pgha.supervise.ProcessSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** HAProxy as the cluster's single endpoint: writes to the leader, reads to the replicas. */
final class LbRole implements RolePlanner {
    static final String PROGRAM = "haproxy";
    private final HostContext ctx;

    LbRole(HostContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Planned plan(RoleInput in) throws IOException {
        RoleDefinition def = in.def();
        ClusterSpec spec = in.spec();
        ClusterSpec.Host host = in.host();
        String user = def.user();
        Path home = ctx.paths().dataDir(PROGRAM);
        Path config = ctx.paths().configDir().resolve("haproxy.cfg");
        ProgramTls tls = ProgramTls.combined(ctx, PROGRAM, user);
        Path socket = home.resolve("admin.sock");
        Path stateFile = home.resolve("server-state");
        String text = render(Files.readString(ctx.rolesDir().resolve("lb/haproxy.cfg.tmpl")), spec, host, tls,
                socket, stateFile);
        // -c checks the new file before it replaces the running one: a bad file never reaches a reload.
        FileResource configFile = FileResource.of(config, text, new Owner("root", user, 0640))
                .validatedBy(List.of(def.binary(), "-c", "-q", "-f", "{}"));
        // -W: master-worker, so SIGUSR2 reloads gracefully (old workers finish their connections); -db: foreground.
        ProcessSpec haproxy = new ProcessSpec(PROGRAM, user, List.of(def.binary(), "-W", "-db", "-f", config.toString()),
                Map.of("PATH", "/usr/sbin:/usr/bin:/bin", "HOME", home.toString(), "LC_ALL", "C.UTF-8"),
                home, ctx.paths().logDir().resolve("haproxy.log"), "haproxy", configFile.digest() + tls.digest(),
                "USR2").withSteps(new HaproxyServerState(socket, stateFile, new Owner("root", user, 0640),
                        spec.hostsWith(Role.DATA).stream().collect(Collectors.toMap(ClusterSpec.Host::name,
                                h -> h.address() + " " + ClusterSpec.POSTGRES_PORT + " " + ClusterSpec.PATRONI_PORT))));
        List<Resource> out = new java.util.ArrayList<>(List.of(
                ctx.packages(def, ""),
                ctx.user(def, home),
                new DirectoryResource(ctx.paths().configDir(), new Owner("root", "root", 0755)),
                new DirectoryResource(ctx.paths().logDir(), new Owner("root", "root", 0750)),
                new DirectoryResource(home, new Owner(user, user, 0700))));
        // The certificate files before the config that names them: haproxy -c checks that they load.
        out.addAll(tls.resources());
        out.add(configFile);
        out.add(ProcessResource.present(haproxy, ctx.supervisor()));
        return Planned.of(out, List.of());
    }

    static String render(String template, ClusterSpec spec, ClusterSpec.Host host, ProgramTls tls, Path socket,
                         Path stateFile) {
        ClusterSpec.Haproxy ports = spec.haproxy();
        Map<String, String> values = new LinkedHashMap<>();
        values.put("cluster", spec.cluster());
        values.put("address", host.address());
        values.put("primary_port", Integer.toString(ports.primaryPort()));
        values.put("replica_port", Integer.toString(ports.replicaPort()));
        values.put("stats_port", Integer.toString(ports.statsPort()));
        values.put("pg_port", Integer.toString(ClusterSpec.POSTGRES_PORT));
        values.put("rest_port", Integer.toString(ClusterSpec.PATRONI_PORT));
        values.put("max_lag", Long.toString(spec.patroni().maximumLagOnFailover()));
        values.put("inter", "1s");
        values.put("fastinter", "250ms");
        values.put("check_timeout", "1s");
        values.put("ca_file", tls.ca().toString());
        values.put("crt_file", tls.certificate().toString());
        values.put("admin_socket", socket.toString());
        values.put("state_file", stateFile.toString());
        List<Map<String, String>> servers = spec.hostsWith(Role.DATA).stream()
                .map(h -> Map.of("name", h.name(), "server_address", h.address())).toList();
        return new Template(template, "roles/lb/haproxy.cfg.tmpl").render(values, Map.of("servers", servers));
    }
}
