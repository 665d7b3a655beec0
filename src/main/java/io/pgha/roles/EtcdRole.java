package io.pgha.roles;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.pgha.model.ClusterSpec;
import io.pgha.model.EtcdMember;
import io.pgha.model.ProgramVersion;
import io.pgha.resources.DirectoryResource;
import io.pgha.resources.FileResource;
import io.pgha.resources.Owner;
import io.pgha.resources.ProcessResource;
import io.pgha.resources.Resource;
import io.pgha.supervise.ProcessSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A member of the etcd cluster: bootstrapped from agent.yml's static list as the guide does it by hand, or joining the
 * running cluster as a member its agent added (a learner, promoted once it has caught up).
 */
final class EtcdRole implements RolePlanner {
    static final String PROGRAM = "etcd";
    static final String RESTART_WAITS = "etcd: etcd.yml changed; the member restarts when it has the etcd lock"
            + " (one member at a time)";
    static final int BCRYPT_COST = 4;
    /** Read at the member's first start only: never a reason to restart it. */
    private static final List<String> BOOTSTRAP_ONLY = List.of("initial-cluster", "initial-cluster-state");
    private static final ObjectMapper YAML = new ObjectMapper(
            YAMLFactory.builder().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).build());

    private final HostContext ctx;

    EtcdRole(HostContext ctx) {
        this.ctx = ctx;
    }

    /**
     * How the member starts the first time: with the others of a new cluster (state new), or into the running one
     * (state existing, every member's peer URL).
     */
    record Bootstrap(String initialCluster, String state) {
    }

    /** The resources, and whether a changed etcd.yml waits for the etcd lock to restart the member. */
    @Override
    public Planned plan(RoleInput in) throws IOException {
        RoleDefinition def = in.def();
        ProgramVersion etcd = in.installed();
        ClusterSpec.Etcd settings = in.pass().spec().map(ClusterSpec::etcd).orElse(ClusterSpec.Etcd.DEFAULT);
        EtcdFacts facts = in.pass().etcd();
        List<String> warnings = new ArrayList<>();
        String user = def.user();
        Path dataDir = ctx.paths().dataDir(PROGRAM);
        Path config = ctx.paths().configDir().resolve("etcd.yml");
        ProgramTls tls = ProgramTls.of(ctx, PROGRAM, user);
        List<Resource> out = new ArrayList<>(List.of(
                ctx.packages(def, ""),
                ctx.user(def, dataDir),
                new DirectoryResource(ctx.paths().configDir(), new Owner("root", "root", 0755)),
                new DirectoryResource(ctx.paths().logDir(), new Owner("root", "root", 0750)),
                new DirectoryResource(dataDir, new Owner(user, user, 0700))));
        out.addAll(tls.resources());
        Path kept = bootstrapCopy(ctx);
        Optional<Bootstrap> bootstrap = bootstrap(ctx, dataDir, config, kept, facts, warnings);
        if (bootstrap.isEmpty()) {
            return Planned.of(out, warnings);
        }
        // A copy of how the member started, so that a deleted etcd.yml comes back as it was (how it started depends
        // on whether etcd answered then, which the agent cannot tell afterwards).
        out.add(FileResource.of(kept, text(YAML.createObjectNode().put("initial-cluster", bootstrap.get()
                .initialCluster()).put("initial-cluster-state", bootstrap.get().state())),
                new Owner("root", "root", 0600)));
        ObjectNode yml = etcdYml(ctx, dataDir, tls, etcd, settings, bootstrap.get());
        FileResource configFile = FileResource.of(config, text(yml), new Owner("root", user, 0640));
        String digest = runtimeDigest(yml);
        Optional<String> running = ctx.supervisor().runningRestartDigest(PROGRAM);
        boolean restartDue = running.isPresent() && !running.get().equals(digest) && !facts.restartAllowed();
        if (restartDue) {
            // The file is written now; the member keeps running as it is until its turn.
            digest = running.get();
            warnings.add(RESTART_WAITS);
        }
        // etcd reads its certificate files at every handshake: a renewal needs neither reload nor restart.
        ProcessSpec spec = new ProcessSpec(PROGRAM, user, List.of(def.binary(), "--config-file", config.toString()),
                Map.of("PATH", "/usr/bin:/bin", "HOME", dataDir.toString(), "LC_ALL", "C.UTF-8"),
                dataDir, ctx.paths().logDir().resolve("etcd.log"), digest, "", "HUP");
        out.add(configFile);
        out.add(ProcessResource.present(spec, ctx.supervisor()));
        return new Planned(out, warnings, restartDue, Optional.empty());
    }

    /**
     * How this member starts, or empty (with a warning) when it cannot start yet. A member that has started once
     * keeps what its etcd.yml says (etcd ignores it then). A new one starts with the cluster etcd lists, if it lists
     * this host (its agent added it); else, while etcd does not answer, as one of agent.yml's static list.
     */
    private static Optional<Bootstrap> bootstrap(HostContext ctx, Path dataDir, Path config, Path kept,
                                                 EtcdFacts facts, List<String> warnings) throws IOException {
        String address = ctx.identity().address();
        int peer = ctx.agent().peerPort();
        String staticCluster = ctx.agent().members().entrySet().stream()
                .map(e -> e.getKey() + "=https://" + e.getValue() + ":" + peer)
                .collect(Collectors.joining(","));
        if (Files.isDirectory(dataDir.resolve("member"))) {
            return Optional.of(written(config).or(() -> written(kept)).orElse(new Bootstrap(staticCluster, "new")));
        }
        Optional<EtcdMember> me = facts.member(address);
        if (me.isPresent()) {
            // etcd matches the others by peer URL; a member that has not started yet has no name to give.
            String cluster = facts.members().orElseThrow().stream()
                    .map(m -> (m.id() == me.get().id() ? ctx.identity().name()
                            : m.started() ? m.name() : "unstarted-" + m.hexId()) + "=" + m.peerUrls().get(0))
                    .collect(Collectors.joining(","));
            return Optional.of(new Bootstrap(cluster, "existing"));
        }
        if (facts.members().isEmpty() && ctx.agent().memberAt(address).isPresent()) {
            return Optional.of(new Bootstrap(staticCluster, "new"));
        }
        warnings.add(facts.members().isEmpty()
                ? "etcd: waiting for the etcd cluster to answer, to join it"
                : "etcd: waiting to be added to the etcd cluster");
        return Optional.empty();
    }

    /** Where the agent keeps a copy of the member's bootstrap settings. */
    static Path bootstrapCopy(HostContext ctx) {
        return ctx.paths().stateDir().resolve("etcd-bootstrap.yml");
    }

    /**
     * The bootstrap settings an existing etcd.yml (or the agent's copy) holds, so that a started member's file stays
     * as it is.
     */
    private static Optional<Bootstrap> written(Path config) {
        try {
            JsonNode node = YAML.readTree(Files.readString(config));
            String cluster = node.path("initial-cluster").asText("");
            return cluster.isEmpty() ? Optional.empty()
                    : Optional.of(new Bootstrap(cluster, node.path("initial-cluster-state").asText("new")));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * etcd.yml, built as data, with TLS on both ports: clients and peers must present a certificate of the cluster CA
     * (client certificate authentication; etcd takes the certificate's common name as the user). The v2 API stays
     * off: said so to 3.4 and 3.5, whose v2 store still exists; 3.6 has no v2 and no such setting. Clients may also
     * use 127.0.0.1 unless the member address is itself a loopback address (several members on one machine would
     * fight over 127.0.0.1:2379).
     */
    static ObjectNode etcdYml(HostContext ctx, Path dataDir, ProgramTls tls, ProgramVersion etcd,
                              ClusterSpec.Etcd settings, Bootstrap bootstrap) {
        String address = ctx.identity().address();
        int client = ctx.agent().clientPort();
        int peer = ctx.agent().peerPort();
        String clientUrl = "https://" + address + ":" + client;
        String peerUrl = "https://" + address + ":" + peer;
        String listenClients = address.startsWith("127.") ? clientUrl : clientUrl + ",https://127.0.0.1:" + client;
        ObjectNode yml = YAML.createObjectNode()
                .put("name", ctx.identity().name())
                .put("data-dir", dataDir.toString())
                .put("listen-peer-urls", peerUrl)
                .put("listen-client-urls", listenClients)
                .put("initial-advertise-peer-urls", peerUrl)
                .put("advertise-client-urls", clientUrl)
                .put("initial-cluster", bootstrap.initialCluster())
                .put("initial-cluster-state", bootstrap.state())
                // Per cluster, so that members of two clusters can never join each other by mistake.
                .put("initial-cluster-token", "pgha-" + ctx.agent().cluster())
                .put("heartbeat-interval", settings.heartbeatMillis())
                .put("election-timeout", settings.electionMillis())
                .put("quota-backend-bytes", settings.quotaBytes())
                .put("auto-compaction-mode", ClusterSpec.Etcd.COMPACTION_MODE)
                .put("auto-compaction-retention", ClusterSpec.Etcd.COMPACTION_RETENTION)
                // etcd hashes a user's password with bcrypt in its apply loop, one user after another: 100-170 ms
                // each at the default cost 10, the cluster's first pghactl apply makes nine, and every Patroni login
                // pays as much again. Every password here is 32 random bytes (or never used: certificate users), far
                // beyond what any cost factor protects against guessing, so the lowest cost loses nothing.
                .put("bcrypt-cost", BCRYPT_COST);
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
        return yml;
    }

    /** The fingerprint of what a running member uses: etcd.yml without what only its first start reads. */
    static String runtimeDigest(ObjectNode yml) {
        ObjectNode runtime = yml.deepCopy();
        runtime.remove(BOOTSTRAP_ONLY);
        return FileResource.digest(text(runtime).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    static String text(ObjectNode yml) {
        try {
            return YAML.writeValueAsString(yml);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of strings always serialises", e);
        }
    }
}
