package io.pgha.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgha.lab.LabPlan;
import io.pgha.postgres.PatroniClient;
import io.pgha.postgres.PostgresProbe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Maintenance mode on one cluster, steps in order: pghactl pause holds a restart-needing change (nothing restarts, the
 * status says PAUSED and what waits) and resume rolls it out; a leader's host lost while paused is not replaced (the
 * status says why) until resume, after which Patroni fails over.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MaintenanceIT {
    private static final Duration CONVERGE = Duration.ofSeconds(240);
    /** How long the replicas are watched for a promotion once the lost leader's key has expired. */
    private static final Duration NO_ELECTION_WINDOW = Duration.ofSeconds(10);

    private AgentCluster cluster;
    private LabPlan plan;
    private PostgresProbe pg;
    private long revision;

    @BeforeAll
    void start() throws Exception {
        plan = LabPlan.forTests(AgentCluster.tempBase(), 3, 1, AgentCluster.OS);
        cluster = new AgentCluster(plan, 10);
        cluster.startAll();
        cluster.awaitEtcdHealthy(Duration.ofSeconds(90));
        revision = cluster.apply(plan.specText(LabPlan.RECOMMENDED_TIMERS, false, Map.of()));
        cluster.awaitConverged(revision, CONVERGE);
        pg = cluster.postgres("postgres", cluster.ctl("get", "secret", "superuser").out().strip(), 3);
    }

    @AfterAll
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void aPauseHoldsARestartNeedingChangeAndResumeRollsItOut() throws Exception {
        Map<String, Long> postmasters = new LinkedHashMap<>();
        for (String h : cluster.dataHosts()) {
            postmasters.put(h, postmasterPid(h));
        }
        AgentCluster.Outcome paused = cluster.ctl("pause", "--reason", "it drill");
        assertEquals(0, paused.exitCode(), paused.toString());
        assertTrue(paused.out().contains("PAUSED since") && paused.out().contains("(it drill)"), paused.out());
        assertTrue(paused.out().contains("paused on " + plan.hosts().size() + " of " + plan.hosts().size()),
                paused.out());
        for (String h : cluster.dataHosts()) {
            assertTrue(cluster.statuses().get(h).path("health").path("patroni").path("paused").asBoolean(),
                    h + "'s Patroni says paused, as pghactl pause waited for");
        }

        Path file = Files.createTempFile(cluster.base(), "paused", ".yml");
        Files.writeString(file, plan.specText(LabPlan.RECOMMENDED_TIMERS, false, Map.of("max_connections", "150")));
        AgentCluster.Outcome applied = cluster.ctl("apply", "-f", file.toString());
        assertEquals(0, applied.exitCode(), applied.toString());
        assertTrue(applied.out().contains("PAUSED since") && applied.out().contains("wait for"), applied.out());
        long changed = AgentCluster.revisionIn(applied.out());

        // Each data host has run its pass for the new revision (its steps, the rolling restart among them, run in
        // that same pass) and reads back the restart it holds.
        cluster.await("every data host at rev " + changed + " with max_connections pending", CONVERGE, () -> {
            Map<String, JsonNode> all = cluster.statusesQuietly();
            return cluster.dataHosts().stream().allMatch(h -> all.containsKey(h)
                    && all.get(h).path("spec_revision").asLong() == changed
                    && all.get(h).path("pending").toString().contains("max_connections")) ? Optional.of(true)
                    : Optional.empty();
        }, () -> cluster.statusesQuietly().toString());
        AgentCluster.Outcome status = cluster.ctl("status");
        for (String h : cluster.dataHosts()) {
            assertTrue(status.out().contains("waits for resume on " + h + ": max_connections"), status.out());
            assertEquals(postmasters.get(h), postmasterPid(h), "no restart on " + h + " while paused");
        }
        String health = cluster.agentApi(cluster.address(cluster.dataHosts().get(0)), "/health").body();
        assertTrue(health.contains("PAUSED since"), "systemd's line and /health say it: " + health);

        AgentCluster.Outcome resumed = cluster.ctl("resume");
        assertEquals(0, resumed.exitCode(), resumed.toString());
        cluster.await("rev " + changed + " applied (in effect) on every host after resume", CONVERGE, () -> {
            Map<String, JsonNode> all = cluster.statusesQuietly();
            return all.size() == plan.hosts().size() && all.values().stream().allMatch(s -> s.path("spec_revision")
                    .asLong() == changed && s.path("spec_state").asText().equals("applied")) ? Optional.of(true)
                    : Optional.empty();
        }, () -> cluster.statusesQuietly().toString());
        for (String h : cluster.dataHosts()) {
            assertNotEquals(postmasters.get(h), postmasterPid(h), "the rollout restarted " + h + " after resume");
            assertEquals("150", show(h, "max_connections"), h);
        }
        revision = changed;
    }

    @Test
    @Order(2)
    void aLeaderLostWhilePausedIsNotReplacedUntilResume() throws Exception {
        AgentCluster.Outcome paused = cluster.ctl("pause", "--reason", "leader host drill");
        assertEquals(0, paused.exitCode(), paused.toString());
        String leader = leader(cluster.dataHosts()).orElseThrow();
        List<String> others = cluster.dataHosts().stream().filter(h -> !h.equals(leader)).toList();
        cluster.kill(leader);
        try {
            // The dead leader's key expires after the ttl; unpaused, the replicas would race for it at once.
            cluster.await("the lost leader's key expired", Duration.ofSeconds(90),
                    () -> clusterAnswers(others) && leader(others).isEmpty() ? Optional.of(true) : Optional.empty(),
                    () -> "leader " + leader(others));
            long until = System.nanoTime() + NO_ELECTION_WINDOW.toNanos();
            while (System.nanoTime() < until) {
                assertEquals(Optional.empty(), leader(others), "no leader elected while paused");
                for (String h : others) {
                    assertEquals("on", show(h, "in_hot_standby"), h + " stays a replica while paused");
                }
                Thread.sleep(500);
            }
            cluster.await("pghactl status saying why there is no leader", Duration.ofSeconds(30), () -> {
                try {
                    String out = cluster.ctl("status").out();
                    return out.contains("no leader: Patroni elects none while paused") ? Optional.of(out)
                            : Optional.empty();
                } catch (Exception e) {
                    return Optional.empty();
                }
            }, () -> "not said");

            AgentCluster.Outcome resumed = cluster.ctl("resume");
            assertEquals(0, resumed.exitCode(), resumed.toString());
            assertTrue(resumed.out().contains(leader + ": no status"), "the lost host is named: " + resumed.out());
            String fresh = cluster.await("a new leader after resume", Duration.ofSeconds(90), () -> leader(others),
                    () -> "none");
            assertTrue(others.contains(fresh), fresh);
        } finally {
            cluster.start(leader);
        }
        cluster.awaitConverged(revision, CONVERGE);
        assertTrue(cluster.statuses().values().stream().noneMatch(s -> s.has("maintenance")),
                "every host reports the cluster resumed");
    }

    private long postmasterPid(String host) throws Exception {
        Path pid = cluster.path(host, plan.postgresDataDir()).resolve("postmaster.pid");
        return Long.parseLong(Files.readAllLines(pid).get(0).strip());
    }

    private String show(String host, String setting) throws SQLException {
        try (Connection c = pg.connect(cluster.address(host), 5432); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("show " + setting)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** The leader as the first of {@code hosts} whose Patroni answers lists it. */
    private Optional<String> leader(List<String> hosts) {
        for (String h : hosts) {
            try {
                return cluster.patroni(cluster.address(h), Duration.ofSeconds(3)).leader()
                        .map(PatroniClient.ClusterMember::name);
            } catch (java.io.IOException e) {
                // ask the next one
            }
        }
        return Optional.empty();
    }

    private boolean clusterAnswers(List<String> hosts) {
        List<String> answering = new ArrayList<>();
        for (String h : hosts) {
            try {
                cluster.patroni(cluster.address(h), Duration.ofSeconds(3)).cluster();
                answering.add(h);
            } catch (java.io.IOException e) {
                // not this one
            }
        }
        return !answering.isEmpty();
    }
}
