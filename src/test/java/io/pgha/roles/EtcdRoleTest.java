package io.pgha.roles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.pgha.model.AgentConfigTest;
import io.pgha.model.ClusterRestore;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.ClusterSpec;
import io.pgha.model.ClusterSpecParser;
import io.pgha.model.ProgramVersion;
import io.pgha.model.Role;
import io.pgha.resources.FileResource;
import io.pgha.resources.ProcessResource;
import io.pgha.resources.Resource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EtcdRoleTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    @TempDir
    Path temp;
    private TestHosts hosts;
    private Map<String, ProgramVersion> installed;

    @BeforeEach
    void hosts() {
        hosts = new TestHosts(temp);
        installed = hosts.installed;
    }

    @AfterEach
    void close() {
        hosts.close();
    }

    private HostContext host(String agentYml, String name, String address) throws Exception {
        return hosts.host(agentYml, name, address);
    }

    private HostContext host(String agentYml, String name, String address, Path root) throws Exception {
        return hosts.host(agentYml, name, address, root);
    }

    private static final String AGENT = AgentConfigTest.MINIMAL;
    private static final ProgramVersion ETCD_3_4 = new ProgramVersion(3, 4, 23);

    /** etcd.yml of a static member, with the spec's default etcd settings. */
    private static String etcdYml(HostContext ctx, ProgramVersion version) {
        String cluster = "etcd1=https://10.0.0.1:2380,etcd2=https://10.0.0.2:2380,etcd3=https://10.0.0.3:2380";
        return EtcdRole.text(EtcdRole.etcdYml(ctx, Path.of("/data"), ProgramTls.of(ctx, "etcd", "etcd"), version,
                ClusterSpec.Etcd.DEFAULT, new EtcdRole.Bootstrap(cluster, "new")));
    }

    @Test
    void theSpecsEtcdSettingsAreInEtcdYmlAndHistoryIsCompacted() throws Exception {
        HostContext ctx = host(AGENT, "etcd2", "10.0.0.2");
        ClusterSpec.Etcd settings = new ClusterSpec.Etcd(16L << 20, 50, 500, 50, 0, false);
        JsonNode yml = YAML.readTree(EtcdRole.text(EtcdRole.etcdYml(ctx, Path.of("/data"),
                ProgramTls.of(ctx, "etcd", "etcd"), ETCD_3_4, settings, new EtcdRole.Bootstrap("x=https://a:2380",
                        "new"))));
        assertEquals(16L << 20, yml.path("quota-backend-bytes").asLong());
        assertEquals(50, yml.path("heartbeat-interval").asInt());
        assertEquals(500, yml.path("election-timeout").asInt());
        assertEquals("periodic", yml.path("auto-compaction-mode").asText());
        assertEquals("1h", yml.path("auto-compaction-retention").asText());
        assertEquals(4, yml.path("bcrypt-cost").asInt());
    }

    @Test
    void whatOnlyTheFirstStartReadsIsNoReasonToRestart() throws Exception {
        HostContext ctx = host(AGENT, "etcd2", "10.0.0.2");
        ProgramTls tls = ProgramTls.of(ctx, "etcd", "etcd");
        var first = EtcdRole.etcdYml(ctx, Path.of("/data"), tls, ETCD_3_4, ClusterSpec.Etcd.DEFAULT,
                new EtcdRole.Bootstrap("etcd2=https://10.0.0.2:2380", "new"));
        var joined = EtcdRole.etcdYml(ctx, Path.of("/data"), tls, ETCD_3_4, ClusterSpec.Etcd.DEFAULT,
                new EtcdRole.Bootstrap("etcd1=https://10.0.0.1:2380,etcd2=https://10.0.0.2:2380", "existing"));
        var quota = EtcdRole.etcdYml(ctx, Path.of("/data"), tls, ETCD_3_4,
                new ClusterSpec.Etcd(16L << 20, 100, 1000, 50, 0, false),
                new EtcdRole.Bootstrap("etcd2=https://10.0.0.2:2380", "new"));
        assertEquals(EtcdRole.runtimeDigest(first), EtcdRole.runtimeDigest(joined));
        assertFalse(EtcdRole.runtimeDigest(first).equals(EtcdRole.runtimeDigest(quota)), "a new quota restarts");
    }

    @Test
    void aHostTheSpecAddsJoinsTheClusterEtcdListsOnceItsAgentAddedIt() throws Exception {
        HostContext ctx = host(AGENT, "spare1", "10.0.0.9");
        ClusterSpec spec = new ClusterSpecParser(ctx.agent()).parse(COMPACT.replace("etcd3: {address: 10.0.0.3",
                "spare1: {address: 10.0.0.9"), "spec");
        List<io.pgha.model.EtcdMember> members = List.of(
                new io.pgha.model.EtcdMember(1, "etcd1", List.of("https://10.0.0.1:2380"), List.of(), false),
                new io.pgha.model.EtcdMember(2, "etcd2", List.of("https://10.0.0.2:2380"), List.of(), false),
                new io.pgha.model.EtcdMember(3, "etcd3", List.of("https://10.0.0.3:2380"), List.of(), false));
        DesiredState waiting = new HostRoles(ctx).desired(new PlanInput(Optional.of(spec), Optional.empty(), Map.of(),
                new EtcdFacts(Optional.of(members), false), Optional.empty()));
        assertTrue(waiting.resources().stream().noneMatch(r -> r.id().equals("process:etcd")),
                "not started before it is a member: " + waiting.resources());
        assertTrue(waiting.warnings().contains("etcd: waiting to be added to the etcd cluster"), waiting.warnings()
                .toString());

        List<io.pgha.model.EtcdMember> added = new java.util.ArrayList<>(members);
        added.add(new io.pgha.model.EtcdMember(9, "", List.of("https://10.0.0.9:2380"), List.of(), true));
        DesiredState joining = new HostRoles(ctx).desired(new PlanInput(Optional.of(spec), Optional.empty(), Map.of(),
                new EtcdFacts(Optional.of(added), false), Optional.empty()));
        FileResource file = (FileResource) joining.resources().stream()
                .filter(r -> r.id().endsWith("etcd.yml")).findFirst().orElseThrow();
        JsonNode yml = YAML.readTree(new String(file.content(), StandardCharsets.UTF_8));
        assertEquals("existing", yml.path("initial-cluster-state").asText());
        assertEquals("etcd1=https://10.0.0.1:2380,etcd2=https://10.0.0.2:2380,etcd3=https://10.0.0.3:2380,"
                + "spare1=https://10.0.0.9:2380", yml.path("initial-cluster").asText());
        assertTrue(joining.resources().stream().anyMatch(r -> r.id().equals("process:etcd")));
    }

    @Test
    void aStartedMembersDeletedEtcdYmlComesBackAsItWasEvenWhenItJoinedARunningCluster() throws Exception {
        HostContext ctx = host(AGENT, "spare1", "10.0.0.9");
        ClusterSpec spec = new ClusterSpecParser(ctx.agent()).parse(COMPACT.replace("etcd3: {address: 10.0.0.3",
                "spare1: {address: 10.0.0.9"), "spec");
        List<io.pgha.model.EtcdMember> members = List.of(
                new io.pgha.model.EtcdMember(1, "etcd1", List.of("https://10.0.0.1:2380"), List.of(), false),
                new io.pgha.model.EtcdMember(9, "", List.of("https://10.0.0.9:2380"), List.of(), true));
        DesiredState joining = new HostRoles(ctx).desired(new PlanInput(Optional.of(spec), Optional.empty(), Map.of(),
                new EtcdFacts(Optional.of(members), false), Optional.empty()));
        FileResource copy = (FileResource) joining.resources().stream()
                .filter(r -> r.id().endsWith("/etcd-bootstrap.yml")).findFirst().orElseThrow();
        Files.createDirectories(copy.path().getParent());
        assertEquals(io.pgha.resources.Status.CHANGED, copy.apply().status(), copy.id());
        FileResource first = etcdYmlOf(joining);
        Files.createDirectories(first.path().getParent());
        Files.write(first.path(), first.content());
        assertEquals("existing", YAML.readTree(new String(first.content(), StandardCharsets.UTF_8))
                .path("initial-cluster-state").asText());
        // The member started (its data is there), then someone deleted etcd.yml; etcd now answers without it.
        Files.createDirectories(ctx.paths().dataDir("etcd").resolve("member"));
        Files.delete(first.path());
        DesiredState repaired = new HostRoles(ctx).desired(new PlanInput(Optional.of(spec), Optional.empty(), Map.of(),
                new EtcdFacts(Optional.empty(), false), Optional.empty()));
        assertEquals(new String(first.content(), StandardCharsets.UTF_8),
                new String(etcdYmlOf(repaired).content(), StandardCharsets.UTF_8));
    }

    private static FileResource etcdYmlOf(DesiredState desired) {
        return (FileResource) desired.resources().stream().filter(r -> r.id().endsWith("/etcd.yml")).findFirst()
                .orElseThrow();
    }

    @Test
    void etcdYmlIsTheGuidesStaticBootstrap() throws Exception {
        HostContext ctx = host(AGENT, "etcd2", "10.0.0.2");
        JsonNode yml = YAML.readTree(etcdYml(ctx, ETCD_3_4));
        assertEquals("etcd2", yml.path("name").asText());
        assertEquals("https://10.0.0.2:2380", yml.path("listen-peer-urls").asText());
        assertEquals("https://10.0.0.2:2379,https://127.0.0.1:2379", yml.path("listen-client-urls").asText());
        assertEquals("https://10.0.0.2:2379", yml.path("advertise-client-urls").asText());
        assertEquals("etcd1=https://10.0.0.1:2380,etcd2=https://10.0.0.2:2380,etcd3=https://10.0.0.3:2380",
                yml.path("initial-cluster").asText());
        for (String side : List.of("client-transport-security", "peer-transport-security")) {
            JsonNode t = yml.path(side);
            assertTrue(t.path("client-cert-auth").asBoolean(), side + " asks for a client certificate: " + t);
            assertEquals(ctx.paths().configDir().resolve("tls/ca.crt").toString(), t.path("trusted-ca-file").asText());
            assertEquals(ctx.paths().configDir().resolve("tls/etcd.key").toString(), t.path("key-file").asText());
        }
        assertEquals("new", yml.path("initial-cluster-state").asText());
        assertEquals("pgha-demo", yml.path("initial-cluster-token").asText());
        assertFalse(yml.path("enable-v2").asBoolean(true));
        assertTrue(yml.path("enable-grpc-gateway").asBoolean(), "Patroni's etcd3 client needs the gateway");
        assertEquals("zap", yml.path("logger").asText());
        assertEquals("/data", yml.path("data-dir").asText());
    }

    @Test
    void loopbackMembersDoNotAlsoListenOn127001() throws Exception {
        HostContext ctx = host(AGENT.replace("10.0.0.", "127.0.1."), "etcd1", "127.0.1.1");
        JsonNode yml = YAML.readTree(etcdYml(ctx, ETCD_3_4));
        assertEquals("https://127.0.1.1:2379", yml.path("listen-client-urls").asText());
    }

    @Test
    void memberConvergesEtcdWithoutASpec() throws Exception {
        DesiredState state = new HostRoles(host(AGENT, "etcd1", "10.0.0.1")).desired(Optional.empty(), Optional.empty());
        assertEquals(Set.of(Role.ETCD), state.roles());
        String root = temp.resolve("srv/lab/etcd1").toString();
        List<String> ids = state.resources().stream().map(Resource::id).map(id -> id.replace(root, "")).toList();
        assertEquals(List.of("package:etcd-server,etcd-client", "user:etcd", "directory:/etc/pgha-agent",
                "directory:/var/log/pgha-agent", "directory:/var/lib/pgha-agent/etcd", "directory:/etc/pgha-agent/tls",
                "file:/etc/pgha-agent/tls/ca.crt", "file:/etc/pgha-agent/tls/etcd.crt",
                "file:/etc/pgha-agent/tls/etcd.key", "file:/var/lib/pgha-agent/etcd-bootstrap.yml",
                "file:/etc/pgha-agent/etcd.yml", "process:etcd"), ids);
        FileResource key = (FileResource) state.resources().get(8);
        assertEquals(new io.pgha.resources.Owner("etcd", "etcd", 0600), key.owner(), "etcd's key is etcd's alone");
        FileResource config = (FileResource) state.resources().get(10);
        ProcessResource process = (ProcessResource) state.resources().get(11);
        assertEquals(EtcdRole.runtimeDigest((com.fasterxml.jackson.databind.node.ObjectNode) YAML.readTree(
                new String(config.content(), StandardCharsets.UTF_8))), process.spec().orElseThrow().restartDigest(),
                "a config change restarts etcd");
        assertEquals("etcd", process.spec().orElseThrow().user());
        assertEquals(List.of("/usr/bin/etcd", "--config-file", root + "/etc/pgha-agent/etcd.yml"),
                process.spec().orElseThrow().command());
        assertTrue(new String(config.content(), StandardCharsets.UTF_8).contains("name: \"etcd1\""));
    }

    @Test
    void nonMemberWaitsForTheSpec() throws Exception {
        DesiredState state = new HostRoles(host(AGENT, "pg1", "10.0.1.1")).desired(Optional.empty(), Optional.empty());
        assertEquals(Set.of(), state.roles());
        assertEquals(List.of(), state.resources());
        assertTrue(state.warnings().get(0).contains("waiting for the cluster spec"), state.warnings().toString());
    }

    @Test
    void hostMissingFromTheSpecGetsNothing() throws Exception {
        HostContext ctx = host(AGENT, "pg9", "10.0.1.9");
        ClusterSpec spec = new ClusterSpecParser(ctx.agent()).parse("""
                cluster: demo
                hosts:
                  etcd1: {address: 10.0.0.1, role: etcd}
                  etcd2: {address: 10.0.0.2, role: etcd}
                  etcd3: {address: 10.0.0.3, role: etcd}
                  pg1: {address: 10.0.1.1, role: data}
                """, "spec");
        DesiredState state = new HostRoles(ctx).desired(Optional.of(spec), Optional.empty());
        assertEquals(Set.of(), state.roles());
        assertTrue(state.warnings().get(0).contains("not in the cluster spec"), state.warnings().toString());
    }

    private static final String COMPACT = """
            cluster: demo
            hosts:
              etcd1: {address: 10.0.0.1, roles: [lb, data, etcd], allow_colocation: true}
              etcd2: {address: 10.0.0.2, roles: [etcd, data], allow_colocation: true}
              etcd3: {address: 10.0.0.3, roles: [etcd, data], allow_colocation: true}
            """;

    @Test
    void aHostWithSeveralRolesGetsEachRolesResourcesOnceEtcdFirst() throws Exception {
        HostContext ctx = host(AGENT, "etcd1", "10.0.0.1");
        ClusterSpec spec = new ClusterSpecParser(ctx.agent()).parse(COMPACT, "spec");
        DesiredState state = new HostRoles(ctx).desired(Optional.of(spec),
                Optional.of(ClusterSecrets.generate(new SecureRandom())));
        assertEquals(List.of(Role.ETCD, Role.DATA, Role.LB), List.copyOf(state.roles()));
        List<String> ids = state.resources().stream().map(Resource::id).toList();
        assertEquals(Set.copyOf(ids).size(), ids.size(), "no resource twice: " + ids);
        assertTrue(ids.contains("directory:" + temp.resolve("srv/lab/etcd1/etc/pgha-agent")), ids.toString());
        assertTrue(ids.indexOf("process:etcd") < ids.indexOf("process:patroni")
                && ids.indexOf("process:patroni") < ids.indexOf("process:haproxy"), "etcd before Patroni: " + ids);
        assertEquals(Map.of(), state.refused());
    }

    private static final String WITH_BACKUP = """
            cluster: demo
            etcd: {allow_small_cluster: true}
            hosts:
              etcd1: {address: 10.0.0.1, role: etcd}
              pg1: {address: 10.0.1.1, role: data}
              backup1: {address: 10.0.3.1, role: backup}
            backup: {}
            """;

    @Test
    void theRepositoryHostRunsPgBackRestsServerWithTheFileThatNamesTheDataHosts() throws Exception {
        installed.put("pgbackrest", new ProgramVersion(2, 45, 0));
        HostContext ctx = host(AGENT, "backup1", "10.0.3.1");
        ClusterSpec spec = new ClusterSpecParser(ctx.agent()).parse(WITH_BACKUP, "spec");
        DesiredState state = new HostRoles(ctx).desired(Optional.of(spec), Optional.empty());
        assertEquals(Map.of(), state.refused());
        List<String> ids = state.resources().stream().map(Resource::id).toList();
        Path root = temp.resolve("srv/lab/backup1");
        assertTrue(ids.contains("directory:" + root.resolve("var/lib/pgha-agent/pgbackrest/repository")),
                ids.toString());
        assertTrue(ids.indexOf("file:" + root.resolve("etc/pgha-agent/pgbackrest.conf"))
                < ids.indexOf("process:pgbackrest-repository"), ids.toString());
        FileResource conf = (FileResource) state.resources().get(ids.indexOf("file:"
                + root.resolve("etc/pgha-agent/pgbackrest.conf")));
        String text = new String(conf.content(), StandardCharsets.UTF_8);
        assertTrue(text.contains("\ntls-server-auth=pgbackrest-pg1=demo\n") && text.contains("\npg1-host=10.0.1.1\n"),
                text);
    }

    @Test
    void withABackupSectionADataHostRunsPgBackRestBeforePatroni() throws Exception {
        installed.put("pgbackrest", new ProgramVersion(2, 45, 0));
        HostContext ctx = host(AGENT, "pg1", "10.0.1.1");
        ClusterSpec spec = new ClusterSpecParser(ctx.agent()).parse(WITH_BACKUP, "spec");
        DesiredState state = new HostRoles(ctx).desired(Optional.of(spec),
                Optional.of(ClusterSecrets.generate(new SecureRandom())));
        List<String> ids = state.resources().stream().map(Resource::id).toList();
        assertTrue(ids.indexOf("process:pgbackrest") >= 0 && ids.indexOf("process:pgbackrest")
                < ids.indexOf("process:patroni"), ids.toString());
        Path patroniYml = temp.resolve("srv/lab/pg1/etc/pgha-agent/patroni.yml");
        FileResource patroni = (FileResource) state.resources().get(ids.indexOf("file:" + patroniYml));
        JsonNode pg = YAML.readTree(patroni.content()).path("postgresql");
        assertEquals("/usr/bin/pgbackrest --config=" + temp.resolve("srv/lab/pg1/etc/pgha-agent/pgbackrest.conf")
                + " --stanza=demo archive-push %p", pg.path("parameters").path("archive_command").asText());
    }

    @Test
    void aRefusedRoleIsLeftOutAndTheOthersStay() throws Exception {
        HostContext ctx = host(AGENT, "etcd2", "10.0.0.2");
        ClusterSpec spec = new ClusterSpecParser(ctx.agent()).parse(COMPACT, "spec");
        DesiredState state = new HostRoles(ctx).desired(new PlanInput(Optional.of(spec),
                Optional.of(ClusterSecrets.generate(new SecureRandom())), Map.of(Role.DATA, "slow disk"),
                EtcdFacts.UNKNOWN, Optional.empty()));
        List<String> ids = state.resources().stream().map(Resource::id).toList();
        assertTrue(ids.contains("process:etcd"), ids.toString());
        assertFalse(ids.stream().anyMatch(id -> id.contains("patroni") || id.contains("postgres")), ids.toString());
        assertEquals(Map.of(Role.DATA, "slow disk"), state.refused());
        assertEquals(Set.of(Role.ETCD, Role.DATA), state.roles(), "still a data host, one that refuses for now");
    }

    @Test
    void aRoleIsTakenOnceItsEngineHasWrittenData(@TempDir Path root) throws Exception {
        HostContext ctx = host(AGENT, "etcd2", "10.0.0.2", root);
        ClusterSpec spec = new ClusterSpecParser(ctx.agent()).parse(COMPACT, "spec");
        HostRoles roles = new HostRoles(ctx);
        Files.createDirectories(ctx.paths().dataDir("etcd"));
        Files.createDirectories(ctx.paths().dataDir("postgresql").resolve("15/data"));
        assertFalse(roles.taken(Role.ETCD, Optional.of(spec)), "an empty data directory is no data");
        assertFalse(roles.taken(Role.DATA, Optional.of(spec)));
        Files.createDirectories(ctx.paths().dataDir("etcd").resolve("member/wal"));
        Files.writeString(ctx.paths().dataDir("postgresql").resolve("15/data/PG_VERSION"), "15\n");
        assertTrue(roles.taken(Role.ETCD, Optional.of(spec)));
        assertTrue(roles.taken(Role.DATA, Optional.of(spec)));
        assertFalse(roles.taken(Role.DATA, Optional.empty()), "without a spec the data layout is unknown");
    }

    @Test
    void etcd36IsNotToldAboutTheV2StoreItNoLongerHas() throws Exception {
        HostContext ctx = host(AGENT, "etcd2", "10.0.0.2");
        JsonNode yml34 = YAML.readTree(etcdYml(ctx, ETCD_3_4));
        JsonNode yml35 = YAML.readTree(etcdYml(ctx, new ProgramVersion(3, 5, 16)));
        JsonNode yml36 = YAML.readTree(etcdYml(ctx, new ProgramVersion(3, 6, 5)));
        assertFalse(yml34.path("enable-v2").asBoolean(true));
        assertFalse(yml35.path("enable-v2").asBoolean(true));
        assertTrue(yml36.path("enable-v2").isMissingNode(), yml36.toString());
        for (JsonNode yml : List.of(yml34, yml35, yml36)) {
            assertTrue(yml.path("enable-grpc-gateway").asBoolean(), "Patroni's etcd3 client needs the gateway");
            assertEquals("zap", yml.path("logger").asText());
        }
    }

    @Test
    void beforeTheInstallOnlyThePackagesArePlannedThenTheRest() throws Exception {
        installed.remove("etcd");
        HostContext ctx = host(AGENT, "etcd1", "10.0.0.1");
        DesiredState before = new HostRoles(ctx).desired(Optional.empty(), Optional.empty());
        assertTrue(before.awaitsInstall());
        assertEquals(List.of("package:etcd-server,etcd-client"), before.resources().stream().map(Resource::id).toList());
        assertTrue(before.warnings().get(0).contains("once /usr/bin/etcd is installed"), before.warnings().toString());
        installed.put("etcd", new ProgramVersion(3, 5, 16));
        DesiredState after = new HostRoles(ctx).desired(Optional.empty(), Optional.empty());
        assertFalse(after.awaitsInstall());
        assertTrue(after.resources().stream().anyMatch(r -> r.id().equals("process:etcd")));
    }

    @Test
    void aProgramOlderThanSupportedRefusesTheRoleANewerOneWarns() throws Exception {
        installed.put("etcd", new ProgramVersion(3, 3, 25));
        DesiredState old = new HostRoles(host(AGENT, "etcd1", "10.0.0.1")).desired(Optional.empty(), Optional.empty());
        assertEquals("the installed etcd 3.3.25 is older than pgha-agent supports (oldest: 3.4)",
                old.refused().get(Role.ETCD));
        assertEquals(List.of(), old.resources());
        installed.put("etcd", new ProgramVersion(3, 6, 5));
        DesiredState newer = new HostRoles(host(AGENT, "etcd1", "10.0.0.1")).desired(Optional.empty(),
                Optional.empty());
        assertEquals(Map.of(), newer.refused());
        assertTrue(newer.warnings().contains("the installed etcd 3.6.5 is newer than pgha-agent was tested with (up to"
                + " 3.5)"), newer.warnings().toString());
    }

    @Test
    void aDataHostStoppingForAClusterRestoreStopsPatroniAndSetsItsDataAsideBeforeAnythingElse() throws Exception {
        HostContext ctx = host(AGENT, "etcd2", "10.0.0.2");
        ClusterSpec parsed = new ClusterSpecParser(ctx.agent()).parse(COMPACT, "spec");
        Optional<ClusterSecrets> secrets = Optional.of(ClusterSecrets.generate(new SecureRandom()));
        ClusterRestore restore = new ClusterRestore("20261128T012300Z", ClusterRestore.STOP, "", "20261128-010000F");
        DesiredState stopping = new HostRoles(ctx).desired(new PlanInput(Optional.of(parsed), secrets, Map.of(),
                EtcdFacts.UNKNOWN, Optional.of(restore)));
        List<String> ids = stopping.resources().stream().map(Resource::id).toList();
        int patroni = ids.indexOf("process:patroni");
        int aside = ids.indexOf("cluster-restore:20261128T012300Z");
        assertTrue(patroni >= 0 && aside == patroni + 1, ids.toString());
        assertTrue(ids.get(aside + 1).startsWith("directory:") && ids.get(aside + 1).endsWith("/15/data"),
                "an empty data directory for the restore: " + ids);
        assertTrue(stopping.resources().get(patroni).check().isEmpty(), "absent: nothing runs here to stop");
        assertTrue(ids.stream().noneMatch(id -> id.startsWith("patroni-config:")), "no Patroni to configure");
        assertTrue(stopping.warnings().contains("taking part in the cluster restore 20261128T012300Z to the end of"
                + " the archive from backup 20261128-010000F: stop (pghactl restore --cluster)"),
                stopping.warnings().toString());

        DesiredState done = new HostRoles(ctx).desired(new PlanInput(Optional.of(parsed), secrets, Map.of(),
                EtcdFacts.UNKNOWN, Optional.of(restore.in(ClusterRestore.DONE))));
        assertEquals(new HostRoles(ctx).desired(Optional.of(parsed), secrets).resources().stream().map(Resource::id)
                .toList(), done.resources().stream().map(Resource::id).toList(), "done: the usual resources");
    }

    @Test
    void timersThatPatroni4WouldChangeAreRefusedThere() throws Exception {
        String spec = COMPACT + """
                patroni: {ttl: 15, loop_wait: 2, retry_timeout: 4}
                """;
        HostContext ctx = host(AGENT, "etcd2", "10.0.0.2");
        ClusterSpec parsed = new ClusterSpecParser(ctx.agent()).parse(spec, "spec");
        Optional<ClusterSecrets> secrets = Optional.of(ClusterSecrets.generate(new SecureRandom()));
        DesiredState on30 = new HostRoles(ctx).desired(Optional.of(parsed), secrets);
        assertEquals(Map.of(), on30.refused(), "Patroni 3.0 runs ttl 15 as given");
        installed.put("patroni", new ProgramVersion(4, 0, 7));
        DesiredState on40 = new HostRoles(ctx).desired(Optional.of(parsed), secrets);
        assertEquals("patroni.ttl: 15 would run as 20 on the installed Patroni 4.0.7 (at least 20)",
                on40.refused().get(Role.DATA));
        assertTrue(on40.resources().stream().noneMatch(r -> r.id().contains("patroni")), on40.resources().toString());
        assertTrue(on40.resources().stream().anyMatch(r -> r.id().equals("process:etcd")), "etcd is not refused");
    }
}
