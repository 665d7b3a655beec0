package io.pgha.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgha.lab.LabPlan;
import io.pgha.model.Role;
import io.pgha.postgres.PostgresProbe;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Placement and disk checks on real hosts (network namespaces): node1 holds etcd, data and lb at once, which the
 * spec must allow and the host reports; node2 is a data host that refuses its role while the spec says its disk is
 * too slow, and takes it once the spec only warns. Steps run in order on one cluster.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ColocationIT {
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
            new com.fasterxml.jackson.databind.ObjectMapper();
    /** Below any real disk's fdatasync, so that the probe before taking a role finds the disk "slow". */
    private static final double TINY_LIMIT_MS = 0.01;
    private static final Duration CONVERGE = Duration.ofSeconds(180);

    private AgentCluster cluster;
    private LabPlan plan;
    private PostgresProbe pg;
    /** node1's HAProxy master before node2 joined the spec. */
    private long haproxyBefore;

    @BeforeAll
    void start() throws Exception {
        LabPlan.Host node1 = new LabPlan.Host("node1", "10.77.201.1", EnumSet.of(Role.ETCD, Role.DATA, Role.LB));
        LabPlan.Host node2 = new LabPlan.Host("node2", "10.77.201.2", Role.DATA);
        plan = new LabPlan("itest", "pghac", Optional.of("10.77.201.254/24"), AgentCluster.tempBase(),
                List.of(node1, node2));
        cluster = new AgentCluster(plan, 10);
        cluster.startAll();
        cluster.awaitEtcdHealthy(Duration.ofSeconds(90));
    }

    @AfterAll
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Applies a spec for {@code hosts} of the plan, with a disk section if given; returns the spec revision. */
    private long apply(List<String> hosts, String disk) throws Exception {
        LabPlan only = plan.withHosts(plan.hosts().stream().filter(h -> hosts.contains(h.name())).toList());
        // One etcd member (node1): the spec must accept a cluster that tolerates no etcd failure.
        return cluster.apply(only.specText(DataClusterIT.TIMERS, false, Map.of())
                + (disk.isEmpty() ? "" : "disk: " + disk + "\n") + "etcd: {allow_small_cluster: true}\n");
    }

    private JsonNode awaitStatus(String host, String what, Predicate<JsonNode> condition) throws Exception {
        return cluster.await(host + ": " + what, CONVERGE, () -> status(host).filter(condition),
                () -> status(host).map(JsonNode::toString).orElse("no status"));
    }

    private Optional<JsonNode> status(String host) {
        try {
            return Optional.ofNullable(cluster.statuses().get(host));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static boolean convergedAt(JsonNode s, long revision) {
        return s.path("converged").asBoolean() && s.path("spec_revision").asLong() == revision;
    }

    private static boolean warns(JsonNode s, String part) {
        for (JsonNode w : s.path("warnings")) {
            if (w.asText().contains(part)) {
                return true;
            }
        }
        return false;
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @Order(1)
    void oneHostRunsEtcdPostgresAndHaproxyAndWarnsOfTheSharedDisk() throws Exception {
        long revision = apply(List.of("node1"), "");
        JsonNode node1 = awaitStatus("node1", "converged at rev " + revision, s -> convergedAt(s, revision));
        assertEquals("etcd+data+lb", node1.path("role").asText());
        assertTrue(node1.path("health").path("etcd").path("healthy").asBoolean(), node1.toString());
        assertEquals("leader", node1.path("health").path("patroni").path("role").asText(), node1.toString());
        assertTrue(node1.path("health").path("haproxy").path("primary").path("node1").asText().startsWith("UP"),
                node1.toString());
        List<String> processes = node1.path("processes").findValuesAsText("name");
        assertEquals(List.of("etcd", "haproxy", "patroni"), processes.stream().sorted().toList(), node1.toString());
        assertTrue(warns(node1, "etcd data and postgres data share disk "), node1.path("warnings").toString());
        assertEquals(2, node1.path("fsync").size(), "one fsync probe per data directory: " + node1.path("fsync"));

        String password = cluster.ctl("get", "secret", "superuser").out().strip();
        pg = cluster.postgres("postgres", password, 5);
        try (Connection c = pg.connect("10.77.201.1", 5000); Statement s = c.createStatement()) {
            s.execute("create table placed (id int primary key)");
            s.execute("insert into placed values (1)");
        }
        HttpResponse<String> health = get("http://10.77.201.1:8010/health");
        assertEquals(200, health.statusCode(), health.body());
        assertTrue(health.body().contains("etcd+data+lb: etcd member healthy"), health.body());
        AgentCluster.Outcome table = cluster.ctl("status");
        assertTrue(table.out().contains("etcd+data+lb") && table.out().contains("healthy writes->node1"), table.out());
        System.out.println(table.out());

        // A host the spec does not list gets no certificates: its agent waits and says why, and etcd knows nothing
        // of it (node1 holds the CA key, node2 has its join secret).
        String waiting = "waiting for this host's certificates: refused by 10.77.201.1: node2: not a host of the spec";
        cluster.awaitLogLine(List.of("node2"), waiting, Duration.ofSeconds(60));
        assertTrue(cluster.agentLog("node1").contains("certificate order from 10.77.201.2 (no client certificate)"
                + " refused: node2: not a host of the spec"), "node1 logs the refusal");
        assertFalse(cluster.statuses().containsKey("node2"), "node2 has no status in etcd");
    }

    @Test
    @Order(2)
    void aDataHostRefusesItsRoleOnASlowDiskAndTheHostAlreadyHoldingDataKeepsIt() throws Exception {
        JsonNode before = status("node1").orElseThrow();
        double p99 = before.path("fsync").path(0).path("p99_ms").asDouble();
        assertTrue(p99 > TINY_LIMIT_MS, "this disk answers fdatasync in " + p99 + " ms, under the "
                + TINY_LIMIT_MS + " ms this test sets as the limit (tmpfs?): it cannot show a refusal");
        long patroni = cluster.programPid("node1", "patroni").orElseThrow();
        haproxyBefore = cluster.programPid("node1", "haproxy").orElseThrow();

        long revision = apply(List.of("node1", "node2"),
                "{on_slow_fsync: refuse, fsync_p99_limit_ms: " + TINY_LIMIT_MS + "}");
        JsonNode node2 = awaitStatus("node2", "refusing role data at rev " + revision,
                s -> s.path("spec_revision").asLong() == revision
                        && s.path("last_error").asText().startsWith("refusing role data: fsync p99 "));
        System.out.println("node2: " + node2.path("last_error").asText());
        assertTrue(node2.path("last_error").asText().contains("above disk.fsync_p99_limit_ms " + TINY_LIMIT_MS
                + " (disk.on_slow_fsync: refuse)"), node2.toString());
        assertFalse(node2.path("converged").asBoolean(), node2.toString());
        assertEquals("data", node2.path("role").asText());
        assertTrue(node2.path("processes").isEmpty(), "no Patroni started: " + node2.path("processes"));
        assertFalse(Files.exists(cluster.path("node2", "etc/pgha-agent/patroni.yml")), "no patroni.yml written");
        assertFalse(Files.exists(cluster.path("node2", "var/lib/pgha-agent/postgresql")), "no data directory made");
        assertTrue(node2.path("fsync").path(0).path("p99_ms").asDouble() > TINY_LIMIT_MS, node2.toString());
        HttpResponse<String> health = get("http://10.77.201.2:8010/health");
        assertEquals(503, health.statusCode(), health.body());
        assertTrue(health.body().contains("refusing role data"), health.body());

        JsonNode node1 = awaitStatus("node1", "converged at rev " + revision, s -> convergedAt(s, revision));
        assertEquals(patroni, cluster.programPid("node1", "patroni").orElseThrow(), "node1 kept its Patroni");
        assertTrue(warns(node1, "above the " + TINY_LIMIT_MS + " ms limit"), node1.path("warnings").toString());
    }

    @Test
    @Order(3)
    void withTheSpecOnlyWarningTheRoleIsTakenAndTheWarningStays() throws Exception {
        long revision = apply(List.of("node1", "node2"),
                "{on_slow_fsync: warn, fsync_p99_limit_ms: " + TINY_LIMIT_MS + "}");
        JsonNode node2 = awaitStatus("node2", "streaming replica at rev " + revision,
                s -> convergedAt(s, revision) && s.path("health").path("postgres").path("streaming").asBoolean());
        assertEquals("node1", node2.path("health").path("patroni").path("leader").asText(), node2.toString());
        assertEquals("", node2.path("last_error").asText(), node2.toString());
        assertTrue(warns(node2, "above the " + TINY_LIMIT_MS + " ms limit"), node2.path("warnings").toString());
        cluster.await("row 1 on node2", Duration.ofSeconds(30), () -> {
            try (Connection c = pg.connect("10.77.201.2", 5432); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("select count(*) from placed")) {
                return rs.next() && rs.getInt(1) == 1 ? Optional.of(true) : Optional.empty();
            } catch (java.sql.SQLException e) {
                return Optional.empty();
            }
        }, () -> "not replicated");
        JsonNode node1 = awaitStatus("node1", "lb reads from node2", s -> s.path("health").path("haproxy")
                .path("replicas").path("node2").asText().startsWith("UP"));
        assertTrue(convergedAt(node1, revision), node1.toString());
        assertTrue(Files.readString(cluster.path("node1", "etc/pgha-agent/haproxy.cfg")).contains("10.77.201.2:5432"));
        assertEquals(haproxyBefore, cluster.programPid("node1", "haproxy").orElseThrow(),
                "the new data host reached HAProxy by a graceful reload, not a restart");
    }
}
