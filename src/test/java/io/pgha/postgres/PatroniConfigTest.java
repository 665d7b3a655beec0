package io.pgha.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.pgha.model.AgentConfig;
import io.pgha.model.AgentConfigTest;
import io.pgha.model.ClusterRestore;
import io.pgha.model.PostgresUpgrade;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.ClusterSpec;
import io.pgha.model.ClusterSpecParser;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PatroniConfigTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final String AGENT = AgentConfigTest.MINIMAL;
    private static final String SPEC = """
            cluster: demo
            hosts:
              etcd1: {address: 10.0.0.1, role: etcd}
              etcd2: {address: 10.0.0.2, role: etcd}
              etcd3: {address: 10.0.0.3, role: etcd}
              pg1: {address: 10.0.1.1, role: data}
              pg2: {address: 10.0.1.2, role: data, tags: {nofailover: true, nosync: true}}
              lb1: {address: 10.0.2.1, role: lb}
            postgres:
              parameters:
                max_connections: 200
                log_line_prefix: "%m [%p] 'quoted': "
              hba:
                - {address: 10.0.0.0/8}
            patroni:
              ttl: 20
              loop_wait: 2
              retry_timeout: 4
            """;
    private static final PatroniConfig.Layout LAYOUT = new PatroniConfig.Layout(Path.of("/var/lib/pg/15/data"),
            Path.of("/run/pg"), Path.of("/var/lib/pg/pgpass"), "/usr/lib/postgresql/15/bin",
            Path.of("/etc/pgha-agent/pgbackrest.conf"));

    private static final PatroniConfig.Tls TLS = new PatroniConfig.Tls(Path.of("/etc/pgha-agent/tls/ca.crt"),
            Path.of("/etc/pgha-agent/tls/postgres.crt"), Path.of("/etc/pgha-agent/tls/postgres.key"));

    private static JsonNode render(String superuserPassword, String host) throws Exception {
        return render(SPEC, superuserPassword, host);
    }

    private static JsonNode render(String specText, String superuserPassword, String host) throws Exception {
        AgentConfig agent = AgentConfig.parse(AGENT, "agent.yml");
        ClusterSpec spec = new ClusterSpecParser(agent).parse(specText, "spec");
        ClusterSecrets secrets = ClusterSecrets.of(Map.of("superuser", superuserPassword, "replication", "rep:pass",
                "rewind", "rw", "patroni_rest", "rest", "patroni_etcd", "etcdpw"));
        String text = PatroniConfig.render(agent, spec, spec.host(host).orElseThrow(), secrets, LAYOUT, TLS,
                Optional.empty());
        return YAML.readTree(text);
    }

    private static String reloadDigest(String spec) throws Exception {
        AgentConfig agent = AgentConfig.parse(AGENT, "agent.yml");
        ClusterSpec parsed = new ClusterSpecParser(agent).parse(spec, "spec");
        ClusterSecrets secrets = plainSecrets();
        return PatroniConfig.reloadDigest(agent, parsed, parsed.host("pg1").orElseThrow(), secrets, LAYOUT, TLS,
                Optional.empty());
    }

    @Test
    void aParameterChangesOnlyTheBootstrapSectionSoPatroniIsNotSignalled() throws Exception {
        String before = reloadDigest(SPEC);
        assertEquals(before, reloadDigest(SPEC.replace("max_connections: 200", "max_connections: 300")));
        assertEquals(before, reloadDigest(SPEC.replace("ttl: 20", "ttl: 30")));
        // pg_hba.conf is patroni.yml's own: Patroni takes a new one on SIGHUP.
        assertFalse(before.equals(reloadDigest(SPEC.replace("10.0.0.0/8", "10.1.0.0/16"))));
    }

    /** SPEC with a repository host and a backup section. */
    private static final String WITH_BACKUP = SPEC.replace("  lb1: {address: 10.0.2.1, role: lb}\n",
            "  lb1: {address: 10.0.2.1, role: lb}\n  backup1: {address: 10.0.3.1, role: backup}\n") + "backup: {}\n";

    private static ClusterSecrets plainSecrets() throws Exception {
        return ClusterSecrets.of(Map.of("superuser", "s", "replication", "r", "rewind", "rw", "patroni_rest", "rest",
                "patroni_etcd", "e"));
    }

    @Test
    void withFastFailoverAReplicaRetriesStreamingEverySecond() throws Exception {
        AgentConfig agent = AgentConfig.parse(AGENT, "agent.yml");
        JsonNode plain = PatroniConfig.dynamic(new ClusterSpecParser(agent).parse(SPEC, "spec"))
                .path("postgresql").path("parameters");
        assertTrue(plain.path("wal_retrieve_retry_interval").isMissingNode(), "Postgres' default without the option");
        ClusterSpec fast = new ClusterSpecParser(agent).parse(SPEC.replace("  retry_timeout: 4\n",
                "  retry_timeout: 4\n  synchronous_mode: true\n  fast_failover: true\n"), "spec");
        assertEquals("1000", PatroniConfig.dynamic(fast).path("postgresql").path("parameters")
                .path("wal_retrieve_retry_interval").asText());
    }

    @Test
    void withABackupSectionWalIsArchivedAndReplicasComeFromTheRepository() throws Exception {
        String spec = WITH_BACKUP;
        AgentConfig agent = AgentConfig.parse(AGENT, "agent.yml");
        ClusterSpec parsed = new ClusterSpecParser(agent).parse(spec, "spec");
        JsonNode parameters = PatroniConfig.dynamic(parsed).path("postgresql").path("parameters");
        assertEquals("on", parameters.path("archive_mode").asText());
        assertEquals("60", parameters.path("archive_timeout").asText(), "commits reach the repository within a minute");
        String slower = spec.replace("max_connections: 200\n", "max_connections: 200\n    archive_timeout: 300\n");
        assertEquals("300", PatroniConfig.dynamic(new ClusterSpecParser(agent).parse(slower, "spec"))
                .path("postgresql").path("parameters").path("archive_timeout").asText(), "the spec's value wins");
        assertTrue(parameters.path("archive_command").isMissingNode(), "per host, in patroni.yml");
        ClusterSecrets secrets = plainSecrets();
        JsonNode pg = YAML.readTree(PatroniConfig.render(agent, parsed, parsed.host("pg1").orElseThrow(), secrets,
                LAYOUT, TLS, Optional.empty())).path("postgresql");
        assertEquals("/usr/bin/pgbackrest --config=/etc/pgha-agent/pgbackrest.conf --stanza=demo archive-push %p",
                pg.path("parameters").path("archive_command").asText());
        assertEquals(List.of("pgbackrest", "basebackup"), texts(pg.path("create_replica_methods")));
        assertEquals("/usr/bin/pgbackrest --config=/etc/pgha-agent/pgbackrest.conf --stanza=demo --delta restore",
                pg.path("pgbackrest").path("command").asText());
        assertTrue(pg.path("pgbackrest").path("keep_data").asBoolean());
        assertTrue(pg.path("pgbackrest").path("no_params").asBoolean());
        assertEquals("/usr/bin/pgbackrest --config=/etc/pgha-agent/pgbackrest.conf --stanza=demo archive-get %f \"%p\"",
                pg.path("recovery_conf").path("restore_command").asText());
        JsonNode without = YAML.readTree(PatroniConfig.render(agent, new ClusterSpecParser(agent).parse(SPEC, "spec"),
                parsed.host("pg1").orElseThrow(), secrets, LAYOUT, TLS, Optional.empty()));
        assertTrue(without.path("postgresql").path("create_replica_methods").isMissingNode());
        assertTrue(without.path("bootstrap").path("dcs").path("postgresql").path("parameters").path("archive_mode")
                .isMissingNode());
        assertTrue(without.path("bootstrap").path("dcs").path("postgresql").path("parameters").path("archive_timeout")
                .isMissingNode());
    }

    @Test
    void aClusterRestoreBootstrapsFromItsBackupSetAndBuildsReplicasFromTheSameUntilDone() throws Exception {
        String spec = WITH_BACKUP;
        AgentConfig agent = AgentConfig.parse(AGENT, "agent.yml");
        ClusterSpec parsed = new ClusterSpecParser(agent).parse(spec, "spec");
        ClusterSecrets secrets = plainSecrets();
        ClusterRestore restore = new ClusterRestore("20261128T012300Z", ClusterRestore.BOOTSTRAP,
                "2026-11-28T01:02:03Z", "20261128-010000F");
        JsonNode yml = YAML.readTree(PatroniConfig.render(agent, parsed, parsed.host("pg1").orElseThrow(), secrets,
                LAYOUT, TLS, Optional.of(restore)));
        String pgBackRest = "/usr/bin/pgbackrest --config=/etc/pgha-agent/pgbackrest.conf --stanza=demo";
        assertEquals("pgbackrest_restore", yml.path("bootstrap").path("method").asText());
        JsonNode method = yml.path("bootstrap").path("pgbackrest_restore");
        // Patroni splits this with shlex: the quoted target stays one argument.
        assertEquals(pgBackRest + " --set=20261128-010000F --type=time '--target=2026-11-28 01:02:03.000000+00'"
                + " --target-action=promote restore", method.path("command").asText());
        assertTrue(method.path("no_params").asBoolean());
        assertTrue(method.path("keep_existing_recovery_conf").isMissingNode(), "Patroni's recovery settings, not"
                + " pgBackRest's, which would linger after the promotion");
        assertEquals(pgBackRest + " archive-get %f \"%p\"", method.path("recovery_conf").path("restore_command")
                .asText());
        assertEquals("2026-11-28 01:02:03.000000+00", method.path("recovery_conf").path("recovery_target_time")
                .asText());
        assertEquals("promote", method.path("recovery_conf").path("recovery_target_action").asText());
        assertEquals(pgBackRest + " --set=20261128-010000F --delta restore",
                yml.path("postgresql").path("pgbackrest").path("command").asText());

        JsonNode done = YAML.readTree(PatroniConfig.render(agent, parsed, parsed.host("pg1").orElseThrow(), secrets,
                LAYOUT, TLS, Optional.of(restore.in(ClusterRestore.DONE))));
        assertTrue(done.path("bootstrap").path("method").isMissingNode(), done.toString());
        assertEquals(pgBackRest + " --delta restore", done.path("postgresql").path("pgbackrest").path("command")
                .asText(), "after the restore, the newest backup again");
        assertEquals(YAML.readTree(PatroniConfig.render(agent, parsed, parsed.host("pg1").orElseThrow(), secrets,
                LAYOUT, TLS, Optional.empty())), done, "done: as if there had been no restore");
    }

    @Test
    void aMajorUpgradeFencesEveryMemberAndClonesRejoiningReplicasFromTheLeader() throws Exception {
        AgentConfig agent = AgentConfig.parse(AGENT, "agent.yml");
        ClusterSpec parsed = new ClusterSpecParser(agent).parse(WITH_BACKUP, "spec");
        ClusterSecrets secrets = plainSecrets();
        PostgresUpgrade upgrade = new PostgresUpgrade("20261205T081500Z", PostgresUpgrade.CHECK, 17, 18);
        java.util.function.Function<String, JsonNode> render = phase -> {
            try {
                return YAML.readTree(PatroniConfig.render(agent, parsed, parsed.host("pg1").orElseThrow(), secrets,
                        LAYOUT, TLS, Optional.of(upgrade.in(phase))));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        JsonNode usual = YAML.readTree(PatroniConfig.render(agent, parsed, parsed.host("pg1").orElseThrow(), secrets,
                LAYOUT, TLS, Optional.empty()));
        assertEquals(usual, render.apply(PostgresUpgrade.CHECK), "the pre-flight changes nothing Patroni runs with");
        assertTrue(render.apply(PostgresUpgrade.FENCE).path("tags").path("nofailover").asBoolean(), "fenced");
        assertTrue(!usual.path("tags").path("nofailover").asBoolean());
        assertEquals("[\"basebackup\"]", render.apply(PostgresUpgrade.REJOIN).path("postgresql")
                .path("create_replica_methods").toString(), "the repository has no backup of the new major yet");
        assertEquals("[\"pgbackrest\",\"basebackup\"]", usual.path("postgresql").path("create_replica_methods")
                .toString());
        assertEquals(usual, render.apply(PostgresUpgrade.DONE), "done: as if there had been no upgrade");
    }

    @Test
    void aPasswordWithQuotesColonsAndANewlineSurvivesTheRoundTrip() throws Exception {
        String nasty = "it's \"a\": pass\nword: # not a comment\n  - [x]";
        JsonNode yml = render(nasty, "pg1");
        assertEquals(nasty, yml.path("postgresql").path("authentication").path("superuser").path("password").asText());
        assertEquals("rep:pass", yml.path("postgresql").path("authentication").path("replication").path("password").asText());
        assertEquals("%m [%p] 'quoted': ",
                yml.path("bootstrap").path("dcs").path("postgresql").path("parameters").path("log_line_prefix").asText());
    }

    @Test
    void theGuidesLayoutWithOurDefaults() throws Exception {
        JsonNode yml = render("s", "pg1");
        assertEquals("demo", yml.path("scope").asText());
        assertEquals("pg1", yml.path("name").asText());
        assertEquals("10.0.1.1:8008", yml.path("restapi").path("listen").asText());
        assertEquals("10.0.1.1:8008", yml.path("restapi").path("connect_address").asText());
        assertEquals(List.of("10.0.0.1:2379", "10.0.0.2:2379", "10.0.0.3:2379"), texts(yml.path("etcd3").path("hosts")));
        assertTrue(yml.path("etcd").isMissingNode(), "v2 API never used");
        JsonNode dcs = yml.path("bootstrap").path("dcs");
        assertEquals(20, dcs.path("ttl").asInt());
        assertEquals(2, dcs.path("loop_wait").asInt());
        assertEquals(4, dcs.path("retry_timeout").asInt());
        assertEquals(1048576, dcs.path("maximum_lag_on_failover").asLong());
        assertTrue(dcs.path("failsafe_mode").asBoolean(), "etcd unreachable must not demote a reachable leader");
        assertTrue(dcs.path("postgresql").path("use_pg_rewind").asBoolean());
        assertTrue(dcs.path("postgresql").path("use_slots").asBoolean());
        JsonNode parameters = dcs.path("postgresql").path("parameters");
        assertEquals("on", parameters.path("hot_standby").asText());
        assertEquals("8", parameters.path("max_wal_senders").asText());
        assertEquals("8", parameters.path("max_replication_slots").asText());
        assertEquals("320MB", parameters.path("wal_keep_size").asText());
        assertTrue(parameters.path("wal_keep_segments").isMissingNode());
        assertEquals("200", parameters.path("max_connections").asText());
        assertEquals("physical", dcs.path("slots").path("patroni_standby_leader").path("type").asText());
        assertEquals("[{\"encoding\":\"UTF8\"},\"data-checksums\"]", yml.path("bootstrap").path("initdb").toString());
        JsonNode pg = yml.path("postgresql");
        assertEquals("10.0.1.1:5432", pg.path("listen").asText());
        assertEquals("/var/lib/pg/15/data", pg.path("data_dir").asText());
        assertEquals("/usr/lib/postgresql/15/bin", pg.path("bin_dir").asText());
        assertEquals("/var/lib/pg/pgpass", pg.path("pgpass").asText());
        assertEquals("/run/pg", pg.path("parameters").path("unix_socket_directories").asText());
        assertEquals("replicator", pg.path("authentication").path("replication").path("username").asText());
        assertEquals("rewind_user", pg.path("authentication").path("rewind").path("username").asText());
        assertEquals("verify-ca", pg.path("authentication").path("replication").path("sslmode").asText(),
                "a replica checks the leader's certificate");
        assertEquals("on", pg.path("parameters").path("ssl").asText());
        assertEquals("/etc/pgha-agent/tls/postgres.key", pg.path("parameters").path("ssl_key_file").asText());
        JsonNode rest = yml.path("restapi");
        assertEquals("required", rest.path("verify_client").asText(), "no certificate of the cluster CA, no answer");
        assertEquals("rest", rest.path("authentication").path("password").asText());
        JsonNode etcd = yml.path("etcd3");
        assertEquals("https", etcd.path("protocol").asText());
        assertEquals("patroni", etcd.path("username").asText());
        assertEquals("etcdpw", etcd.path("password").asText());
        JsonNode ctl = yml.path("ctl");
        assertEquals("/etc/pgha-agent/tls/postgres.crt", ctl.path("certfile").asText(),
                "patronictl shows a certificate (Patroni 3.1+ takes it from ctl only)");
        assertEquals("/etc/pgha-agent/tls/postgres.key", ctl.path("keyfile").asText());
    }

    @Test
    void pgHbaIsOwnedWhole() throws Exception {
        List<String> hba = texts(render("s", "pg1").path("postgresql").path("pg_hba"));
        assertEquals(List.of(
                "local all postgres peer",
                "hostssl replication replicator 10.0.1.1/32 scram-sha-256",
                "hostssl all rewind_user 10.0.1.1/32 scram-sha-256",
                "hostssl all postgres 10.0.1.1/32 scram-sha-256",
                "hostssl postgres pgha_monitor 10.0.1.1/32 scram-sha-256",
                "hostssl replication replicator 10.0.1.2/32 scram-sha-256",
                "hostssl all rewind_user 10.0.1.2/32 scram-sha-256",
                "hostssl all postgres 10.0.1.2/32 scram-sha-256",
                "hostssl postgres pgha_monitor 10.0.1.2/32 scram-sha-256",
                "host all all 10.0.0.0/8 scram-sha-256"), hba);
        assertFalse(hba.stream().anyMatch(l -> l.contains("0.0.0.0/0") || l.contains("trust")), hba.toString());
    }

    @Test
    void aRevokedHostsAddressIsRefusedByPostgresFirstAndByPatronisUnsafeEndpoints() throws Exception {
        AgentConfig agent = AgentConfig.parse(AGENT, "agent.yml");
        ClusterSpec spec = new ClusterSpecParser(agent).parse(SPEC, "spec");
        ClusterSecrets secrets = plainSecrets();
        JsonNode yml = YAML.readTree(PatroniConfig.document(new PatroniConfig.Input(agent, spec,
                spec.host("pg1").orElseThrow(), secrets, LAYOUT, TLS, Optional.empty(), java.util.Set.of("10.0.2.1")))
                .text());
        List<String> hba = texts(yml.path("postgresql").path("pg_hba"));
        assertEquals(List.of("local all postgres peer", "host all all 10.0.2.1/32 reject",
                "host replication all 10.0.2.1/32 reject"), hba.subList(0, 3), "before any rule that could admit it");
        List<String> allow = texts(yml.path("restapi").path("allowlist"));
        assertEquals(32, allow.size(), allow.toString());
        assertTrue(allow.contains("0.0.0.0/5") && allow.contains("10.0.2.0/32") && allow.contains("10.0.2.2/31")
                && !allow.contains("10.0.2.1/32"), allow.toString());
        assertTrue(render("s", "pg1").path("restapi").path("allowlist").isMissingNode(), "none revoked: no list");
    }

    @Test
    void thePoolersAuthUserComesInByCertificateFromTheLbHostsOnly() throws Exception {
        JsonNode pg = render(SPEC + "pooler: {}\n", "s", "pg1").path("postgresql");
        List<String> hba = texts(pg.path("pg_hba"));
        assertEquals("hostssl all pgha_pooler 10.0.2.1/32 cert map=pooler", hba.get(hba.size() - 2),
                "before the spec's own rules, which would ask it for a password: " + hba);
        assertEquals(List.of("pooler pooler-lb1 pgha_pooler"), texts(pg.path("pg_ident")));
        assertTrue(render("s", "pg1").path("postgresql").path("pg_ident").isMissingNode(), "no pooler, no map");
    }

    @Test
    void tagsComeFromTheSpecPerHost() throws Exception {
        JsonNode tags = render("s", "pg2").path("tags");
        assertTrue(tags.path("nofailover").asBoolean());
        assertTrue(tags.path("nosync").asBoolean());
        assertFalse(tags.path("noloadbalance").asBoolean(true));
        assertFalse(render("s", "pg1").path("tags").path("nofailover").asBoolean(true));
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
