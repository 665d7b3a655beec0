package io.pgha.roles;

import io.pgha.model.ClusterSpec;
import io.pgha.model.Role;
import io.pgha.probe.HostHealth;
import io.pgha.resources.DirectoryResource;
import io.pgha.resources.FileResource;
import io.pgha.resources.Owner;
import io.pgha.resources.ProcessResource;
import io.pgha.resources.Resource;
import io.pgha.resources.UserResource;
import io.pgha.pooler.PoolerConsole;
import io.pgha.supervise.ProcessSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * HAProxy as the cluster's endpoint: writes to the leader, reads to the replicas; with a floating address in the spec,
 * keepalived moves it between the lb hosts; with a pooler, PgBouncer in front of HAProxy's primary port.
 */
final class LbRole implements RolePlanner {
    static final String PROGRAM = "haproxy";
    static final String KEEPALIVED = "keepalived";
    static final String POOLER = "pgbouncer";
    private static final String POOLER_USER = "pgbouncer";
    private static final String POOLER_BINARY = "/usr/sbin/pgbouncer";
    private static final String KEEPALIVED_BINARY = "/usr/sbin/keepalived";
    /** Seconds between VRRP adverts: a holder that misses three is replaced. */
    static final String ADVERT_INTERVAL = "0.5";
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
        Path socket = ctx.paths().haproxySocket();
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
                ctx.packages(def, Integer.toString(spec.postgres().version())),
                ctx.user(def, home),
                new DirectoryResource(ctx.paths().configDir(), new Owner("root", "root", 0755)),
                new DirectoryResource(ctx.paths().logDir(), new Owner("root", "root", 0750)),
                new DirectoryResource(home, new Owner(user, user, 0700))));
        // The certificate files before the config that names them: haproxy -c checks that they load.
        out.addAll(tls.resources());
        out.add(configFile);
        out.add(ProcessResource.present(haproxy, ctx.supervisor()));
        if (spec.pooler().isPresent()) {
            out.addAll(pooler(spec, host));
        } else if (Files.exists(ctx.supervisor().pidFile(POOLER))) {
            out.add(ProcessResource.absent(POOLER, "the spec has no pooler", ctx.supervisor()));
        }
        if (spec.vip().isPresent()) {
            out.addAll(keepalived(spec, host, spec.vip().get()));
        } else if (Files.exists(ctx.supervisor().pidFile(KEEPALIVED))) {
            out.add(ProcessResource.absent(KEEPALIVED, "the spec has no floating address (lb.vip)", ctx.supervisor()));
        }
        return Planned.of(out, List.of());
    }

    /**
     * keepalived for the floating address, as root (it adds and removes addresses and sends raw VRRP packets). Its
     * configuration is reloaded on a change (SIGHUP): a holder keeps the address through a reload.
     */
    private List<Resource> keepalived(ClusterSpec spec, ClusterSpec.Host host, ClusterSpec.Vip vip) throws IOException {
        Path home = ctx.paths().dataDir(KEEPALIVED);
        Path config = ctx.paths().configDir().resolve("keepalived.conf");
        String device = vip.device().isPresent() ? vip.device().get() : HostHealth.deviceHolding(host.address())
                .orElseThrow(() -> new IOException("no network interface of this host has its address "
                        + host.address() + " (the spec's); set lb.interface to put the floating address on one"));
        String text = renderKeepalived(Files.readString(ctx.rolesDir().resolve("lb/keepalived.conf.tmpl")), spec,
                host, device, ctx.paths().vipTrackFile());
        FileResource configFile = FileResource.of(config, text, new Owner("root", "root", 0600))
                .validatedBy(List.of(KEEPALIVED_BINARY, "--config-test", "-f", "{}"));
        // -n: foreground; -P: VRRP only; -l -G: its log to the supervisor's file, not syslog; pid files of its own, so
        // that lb hosts sharing a file system (the lab's namespaces) never read each other's.
        ProcessSpec keepalived = new ProcessSpec(KEEPALIVED, "root", List.of(KEEPALIVED_BINARY, "-n", "-P", "-l", "-G",
                "-f", config.toString(), "-p", home.resolve("keepalived.pid").toString(),
                "-r", home.resolve("vrrp.pid").toString()),
                Map.of("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL", "C.UTF-8"), home,
                ctx.paths().logDir().resolve("keepalived.log"), KEEPALIVED, configFile.digest(), "HUP");
        return List.of(new DirectoryResource(home, new Owner("root", "root", 0700)), configFile,
                ProcessResource.present(keepalived, ctx.supervisor()));
    }

    /**
     * PgBouncer in front of this host's HAProxy, as a user of its own; reloaded (SIGHUP) on a change of its files,
     * which it reads again then, certificates included.
     */
    private List<Resource> pooler(ClusterSpec spec, ClusterSpec.Host host) throws IOException {
        Path home = ctx.paths().dataDir(POOLER);
        ProgramTls tls = ProgramTls.of(ctx, POOLER, POOLER_USER);
        ProgramTls serverTls = ProgramTls.pooler(ctx, POOLER_USER);
        PoolerFiles files = new PoolerFiles(Files.readString(ctx.rolesDir().resolve("lb/pgbouncer.ini.tmpl")),
                ctx.paths().configDir().resolve("pgbouncer-hba.conf"), home.resolve("admin.txt"), tls, serverTls);
        FileResource ini = FileResource.of(ctx.paths().configDir().resolve("pgbouncer.ini"), files.ini(spec, host),
                new Owner("root", POOLER_USER, 0640));
        FileResource hba = FileResource.of(files.hbaFile(), PoolerFiles.hba(spec.cluster()),
                new Owner("root", POOLER_USER, 0640));
        FileResource auth = FileResource.of(files.authFile(), PoolerFiles.authFile(PoolerConsole.adminPassword(
                ctx.certificate().material().keyPem())), new Owner(POOLER_USER, POOLER_USER, 0600)).asSensitive();
        ProcessSpec pgbouncer = new ProcessSpec(POOLER, POOLER_USER, List.of(POOLER_BINARY, ini.path().toString()),
                Map.of("PATH", "/usr/sbin:/usr/bin:/bin", "HOME", home.toString(), "LC_ALL", "C.UTF-8"), home,
                ctx.paths().logDir().resolve("pgbouncer.log"), POOLER,
                ini.digest() + hba.digest() + auth.digest() + tls.digest() + serverTls.digest(), "HUP");
        List<Resource> out = new java.util.ArrayList<>(List.of(new UserResource(POOLER_USER, home),
                new DirectoryResource(home, new Owner(POOLER_USER, POOLER_USER, 0700))));
        out.addAll(tls.resources());
        out.addAll(serverTls.resources());
        out.addAll(List.of(ini, hba, auth, ProcessResource.present(pgbouncer, ctx.supervisor())));
        return out;
    }

    static String renderKeepalived(String template, ClusterSpec spec, ClusterSpec.Host host, String device,
                                   Path trackFile) {
        ClusterSpec.Vip vip = spec.vip().orElseThrow();
        Map<String, String> values = new LinkedHashMap<>();
        values.put("cluster", spec.cluster());
        values.put("host", host.name());
        values.put("vip", vip.cidr());
        values.put("device", device);
        values.put("router_id", Integer.toString(vip.routerId()));
        values.put("advert_int", ADVERT_INTERVAL);
        values.put("address", host.address());
        values.put("track_file", trackFile.toString());
        values.put("fault", Integer.toString(VipTrack.FAULT));
        List<Map<String, String>> peers = spec.hostsWith(Role.LB).stream().filter(h -> !h.name().equals(host.name()))
                .map(h -> Map.of("peer", h.address())).toList();
        return new Template(template, "roles/lb/keepalived.conf.tmpl").render(values, Map.of("peers", peers));
    }

    static String render(String template, ClusterSpec spec, ClusterSpec.Host host, ProgramTls tls, Path socket,
                         Path stateFile) {
        ClusterSpec.Haproxy ports = spec.haproxy();
        Map<String, String> values = new LinkedHashMap<>();
        values.put("cluster", spec.cluster());
        values.put("bind_address", spec.vip().isPresent() ? "0.0.0.0" : host.address());
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
