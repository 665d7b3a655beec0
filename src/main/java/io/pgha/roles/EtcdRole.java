package io.pgha.roles;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.pgha.model.ProgramVersion;
import io.pgha.resources.DirectoryResource;
import io.pgha.resources.FileResource;
import io.pgha.resources.Owner;
import io.pgha.resources.ProcessResource;
import io.pgha.resources.Resource;
import io.pgha.supervise.ProcessSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** A member of the static etcd cluster, bootstrapped as the guide does it by hand. */
final class EtcdRole {
    static final String PROGRAM = "etcd";
    private static final ObjectMapper YAML = new ObjectMapper(
            YAMLFactory.builder().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).build());

    private EtcdRole() {
    }

    static List<Resource> resources(HostContext ctx, RoleDefinition def, ProgramVersion etcd) {
        String user = def.user();
        Path dataDir = ctx.paths().dataDir(PROGRAM);
        Path config = ctx.paths().configDir().resolve("etcd.yml");
        ProgramTls tls = ProgramTls.of(ctx, PROGRAM, user);
        FileResource configFile = FileResource.of(config, etcdYml(ctx, dataDir, tls, etcd), new Owner("root", user, 0640));
        ProcessSpec spec = new ProcessSpec(PROGRAM, user, List.of(def.binary(), "--config-file", config.toString()),
                Map.of("PATH", "/usr/bin:/bin", "HOME", dataDir.toString(), "LC_ALL", "C.UTF-8"),
                dataDir, ctx.paths().logDir().resolve("etcd.log"), configFile.digest(), "", "HUP");
        // etcd reads its certificate files at every handshake: a renewal needs neither reload nor restart.
        List<Resource> out = new java.util.ArrayList<>(List.of(
                ctx.packages(def, ""),
                ctx.user(def, dataDir),
                new DirectoryResource(ctx.paths().configDir(), new Owner("root", "root", 0755)),
                new DirectoryResource(ctx.paths().logDir(), new Owner("root", "root", 0750)),
                new DirectoryResource(dataDir, new Owner(user, user, 0700))));
        out.addAll(tls.resources());
        out.add(configFile);
        out.add(ProcessResource.present(spec, ctx.supervisor()));
        return out;
    }

    /**
     * etcd.yml as in the guide's static bootstrap, built as data, with TLS on both ports: clients and peers must
     * present a certificate of the cluster CA (client certificate authentication; etcd takes the certificate's common
     * name as the user). The v2 API stays off: said so to 3.4 and 3.5, whose v2 store still exists; 3.6 has no v2 and no
     * such setting. Clients may also use
     * 127.0.0.1 unless the member address is itself a loopback address (several members on one machine would fight
     * over 127.0.0.1:2379).
     */
    static String etcdYml(HostContext ctx, Path dataDir, ProgramTls tls, ProgramVersion etcd) {
        String address = ctx.identity().address();
        int client = ctx.agent().clientPort();
        int peer = ctx.agent().peerPort();
        String clientUrl = "https://" + address + ":" + client;
        String peerUrl = "https://" + address + ":" + peer;
        String listenClients = address.startsWith("127.") ? clientUrl : clientUrl + ",https://127.0.0.1:" + client;
        String initialCluster = ctx.agent().members().entrySet().stream()
                .map(e -> e.getKey() + "=https://" + e.getValue() + ":" + peer)
                .collect(Collectors.joining(","));
        ObjectNode yml = YAML.createObjectNode()
                .put("name", ctx.identity().name())
                .put("data-dir", dataDir.toString())
                .put("listen-peer-urls", peerUrl)
                .put("listen-client-urls", listenClients)
                .put("initial-advertise-peer-urls", peerUrl)
                .put("advertise-client-urls", clientUrl)
                .put("initial-cluster", initialCluster)
                .put("initial-cluster-state", "new")
                // Per cluster, so that members of two clusters can never join each other by mistake.
                .put("initial-cluster-token", "pgha-" + ctx.agent().cluster());
        if (!etcd.atLeast(3, 6)) {
            yml.put("enable-v2", false);
        }
        yml
                // Patroni's etcd3 client speaks to the JSON gateway (/v3/...), which a config file leaves off in 3.4.
                .put("enable-grpc-gateway", true)
                .put("logger", "zap");
        yml.putArray("log-outputs").add("stderr");
        for (String side : List.of("client-transport-security", "peer-transport-security")) {
            yml.putObject(side)
                    .put("cert-file", tls.certificate().toString())
                    .put("key-file", tls.key().toString())
                    .put("trusted-ca-file", tls.ca().toString())
                    .put("client-cert-auth", true);
        }
        try {
            return YAML.writeValueAsString(yml);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of strings always serialises", e);
        }
    }
}
