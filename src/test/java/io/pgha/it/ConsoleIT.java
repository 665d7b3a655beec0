package io.pgha.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgha.lab.LabPlan;
import io.pgha.model.Role;
import io.pgha.net.HttpText;
import io.pgha.postgres.PostgresProbe;
import java.net.http.HttpResponse;
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
 * Day two at the console, on one cluster, steps in order: pghactl pause holds a restart-needing change (nothing
 * restarts, the status says PAUSED and what waits) and resume rolls it out; restart goes one host at a time, the leader
 * by switchover; reinit copies a replica anew and is refused on the leader; failover is refused while a leader
 * answers; logs come through the agents with the admin certificate only; a leader's host lost while paused is not
 * replaced (the status says why) until failover --force promotes a replica; history tells each leader change and why.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration VERB = Duration.ofSeconds(400);
    private static final Duration CONVERGE = Duration.ofSeconds(240);
    /** How long the replicas are watched for a promotion once the lost leader's key has expired. */
    private static final Duration NO_ELECTION_WINDOW = Duration.ofSeconds(10);

    private AgentCluster cluster;
    private LabPlan plan;
    private PostgresProbe pg;
    private long revision;
    private String failedOverFrom = "";
    private String failedOverTo = "";

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
        Map<String, Long> postmasters = postmasters();
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
            assertEquals(postmasters.get(h), cluster.postmasterPid(h), "no restart on " + h + " while paused");
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
            assertNotEquals(postmasters.get(h), cluster.postmasterPid(h), "the rollout restarted " + h
                    + " after resume");
            assertEquals("150", show(h, "max_connections"), h);
        }
        revision = changed;
    }

    @Test
    @Order(2)
    void restartGoesOneHostAtATimeReplicasFirstAndTheLeaderBySwitchover() throws Exception {
        AgentCluster.Outcome none = cluster.ctl("restart", "--all", "--pending");
        assertEquals(0, none.exitCode(), none.toString());
        assertTrue(none.out().contains("nothing to restart"), none.out());
        AgentCluster.Outcome unknown = cluster.ctl("restart", "nosuch");
        assertEquals(2, unknown.exitCode(), unknown.toString());
        assertTrue(unknown.err().contains("expected a data host of the spec"), unknown.err());

        String leader = cluster.leaderAmong(cluster.dataHosts()).orElseThrow();
        List<String> replicas = cluster.dataHosts().stream().filter(h -> !h.equals(leader)).toList();
        Map<String, Long> before = postmasters();
        AgentCluster.Outcome one = cluster.ctlWithin(VERB, "restart", replicas.get(0));
        assertEquals(0, one.exitCode(), one.toString());
        assertTrue(one.out().contains(replicas.get(0) + ": streams from " + leader), one.out());
        Map<String, Long> after = postmasters();
        for (String h : cluster.dataHosts()) {
            assertEquals(h.equals(replicas.get(0)), !before.get(h).equals(after.get(h)), "restarted: " + h);
        }

        AgentCluster.Outcome all = cluster.ctlWithin(VERB.multipliedBy(3), "restart", "--all", "--json");
        assertEquals(0, all.exitCode(), all.toString());
        JsonNode done = JSON.readTree(all.out()).path("restarted");
        List<String> order = new ArrayList<>();
        done.forEach(d -> order.add(d.path("host").asText()));
        List<String> expected = new ArrayList<>(replicas);
        expected.add(leader);
        assertEquals(expected, order, "replicas in the spec's order, the leader last: " + all.out());
        String action = done.get(2).path("action").asText();
        assertTrue(action.startsWith("switched over to "), action);
        String newLeader = action.substring("switched over to ".length(), action.indexOf(','));
        assertEquals(Optional.of(newLeader), cluster.leaderAmong(cluster.dataHosts()));
        Map<String, Long> rolled = postmasters();
        for (String h : cluster.dataHosts()) {
            assertNotEquals(after.get(h), rolled.get(h), "restarted: " + h);
        }
    }

    @Test
    @Order(3)
    void reinitCopiesAReplicaAnewAndIsRefusedOnTheLeader() throws Exception {
        String leader = cluster.leaderAmong(cluster.dataHosts()).orElseThrow();
        String replica = cluster.dataHosts().stream().filter(h -> !h.equals(leader)).findFirst().orElseThrow();
        AgentCluster.Outcome refused = cluster.ctl("reinit", leader);
        assertEquals(1, refused.exitCode(), refused.toString());
        assertTrue(refused.err().contains(leader + " is the leader"), refused.err());

        Path marker = cluster.path(replica, plan.postgresDataDir()).resolve("pgha-it-before-reinit");
        Files.writeString(marker, "this data directory is the one before the reinit\n");
        AgentCluster.Outcome reinit = cluster.ctlWithin(VERB, "reinit", replica, "--json");
        assertEquals(0, reinit.exitCode(), reinit.toString());
        assertTrue(JSON.readTree(reinit.out()).path("reinitialized").asBoolean(), reinit.out());
        assertFalse(Files.exists(marker), "the data directory was copied anew from the leader");
        try (Connection c = pg.connect(cluster.address(leader), 5432); Statement s = c.createStatement()) {
            s.execute("create table if not exists console_it (note text)");
            s.execute("insert into console_it values ('after the reinit')");
        }
        cluster.await(replica + " replays a write made after its reinit", Duration.ofSeconds(60), () -> {
            try (Connection c = pg.connect(cluster.address(replica), 5432); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("select count(*) from console_it where note = 'after the reinit'")) {
                rs.next();
                return rs.getLong(1) > 0 ? Optional.of(true) : Optional.empty();
            } catch (SQLException e) {
                return Optional.empty();
            }
        }, () -> "not yet");
    }

    @Test
    @Order(4)
    void failoverIsRefusedWhileALeaderAnswers() throws Exception {
        String leader = cluster.leaderAmong(cluster.dataHosts()).orElseThrow();
        String replica = cluster.dataHosts().stream().filter(h -> !h.equals(leader)).findFirst().orElseThrow();
        AgentCluster.Outcome unforced = cluster.ctl("failover", "--to", replica);
        assertEquals(2, unforced.exitCode(), unforced.toString());
        assertTrue(unforced.err().contains("--force"), unforced.err());
        AgentCluster.Outcome refused = cluster.ctl("failover", "--to", replica, "--force");
        assertEquals(1, refused.exitCode(), refused.toString());
        assertTrue(refused.err().contains("the leader " + leader + " answers")
                && refused.err().contains("use pghactl switchover --to " + replica), refused.err());
        assertEquals(Optional.of(leader), cluster.leaderAmong(cluster.dataHosts()), "nothing changed");
    }

    @Test
    @Order(5)
    void logsComeThroughTheAgentsWithTheAdminCertificateOnly() throws Exception {
        String data = cluster.dataHosts().get(0);
        AgentCluster.Outcome patroni = cluster.ctl("logs", data, "--program", "patroni", "--lines", "5");
        assertEquals(0, patroni.exitCode(), patroni.toString());
        List<String> lines = patroni.out().lines().toList();
        assertTrue(!lines.isEmpty() && lines.size() <= 5 && patroni.out().contains("INFO: "), patroni.out());
        AgentCluster.Outcome postgres = cluster.ctl("logs", data, "--program", "postgres", "--lines", "50");
        assertEquals(0, postgres.exitCode(), postgres.toString());
        assertTrue(postgres.out().contains("LOG: ") && !postgres.out().contains("INFO: "), postgres.out());
        AgentCluster.Outcome agent = cluster.ctl("logs", data, "--json");
        assertEquals(0, agent.exitCode(), agent.toString());
        assertTrue(JSON.readTree(agent.out()).path("lines").size() > 0, agent.out());
        String lb = plan.hostsWith(Role.LB).get(0).name();
        AgentCluster.Outcome none = cluster.ctl("logs", lb, "--program", "patroni");
        assertEquals(1, none.exitCode(), none.toString());
        assertTrue(none.err().contains("no patroni log on this host"), none.err());
        HttpResponse<String> anonymous = new HttpText(Duration.ofSeconds(5)).get("http://" + cluster.address(data)
                + ":8010/logs?program=agent");
        assertEquals(403, anonymous.statusCode(), anonymous.body());
    }

    @Test
    @Order(6)
    void aLeaderLostWhilePausedIsNotReplacedUntilFailoverForcePromotesAReplica() throws Exception {
        AgentCluster.Outcome paused = cluster.ctl("pause", "--reason", "leader host drill");
        assertEquals(0, paused.exitCode(), paused.toString());
        String leader = cluster.leaderAmong(cluster.dataHosts()).orElseThrow();
        List<String> others = cluster.dataHosts().stream().filter(h -> !h.equals(leader)).toList();
        cluster.kill(leader);
        try {
            // The dead leader's key expires after the ttl; unpaused, the replicas would race for it at once.
            cluster.await("the lost leader's key expired", Duration.ofSeconds(90),
                    () -> clusterAnswers(others) && cluster.leaderAmong(others).isEmpty() ? Optional.of(true)
                            : Optional.empty(),
                    () -> "leader " + cluster.leaderAmong(others));
            long until = System.nanoTime() + NO_ELECTION_WINDOW.toNanos();
            while (System.nanoTime() < until) {
                assertEquals(Optional.empty(), cluster.leaderAmong(others), "no leader elected while paused");
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

            AgentCluster.Outcome failover = cluster.ctlWithin(VERB, "failover", "--to", others.get(0), "--force",
                    "--json");
            assertEquals(0, failover.exitCode(), failover.toString());
            JsonNode answer = JSON.readTree(failover.out());
            assertEquals(leader, answer.path("from").asText(), failover.out());
            assertEquals(others.get(0), answer.path("to").asText(), failover.out());
            assertEquals(Optional.of(others.get(0)), cluster.leaderAmong(others), "the replica leads, still paused");
            assertEquals("off", show(others.get(0), "in_hot_standby"));

            AgentCluster.Outcome resumed = cluster.ctl("resume");
            assertEquals(0, resumed.exitCode(), resumed.toString());
            assertTrue(resumed.out().contains(leader + ": no status"), "the lost host is named: " + resumed.out());
        } finally {
            cluster.start(leader);
        }
        cluster.awaitConverged(revision, CONVERGE);
        assertTrue(cluster.statuses().values().stream().noneMatch(s -> s.has("maintenance")),
                "every host reports the cluster resumed");
        failedOverFrom = leader;
        failedOverTo = others.get(0);
    }

    @Test
    @Order(7)
    void historyTellsEachLeaderChangeAndWhy() throws Exception {
        AgentCluster.Outcome text = cluster.ctl("history");
        assertEquals(0, text.exitCode(), text.toString());
        assertTrue(text.out().startsWith("TIMELINE"), text.out());
        AgentCluster.Outcome json = cluster.ctl("history", "--json");
        assertEquals(0, json.exitCode(), json.toString());
        List<String> rows = new ArrayList<>();
        JSON.readTree(json.out()).forEach(r -> rows.add(r.path("why").asText() + " " + r.path("from").asText()
                + " -> " + r.path("to").asText() + ": " + r.path("detail").asText()));
        assertTrue(rows.stream().anyMatch(r -> r.startsWith("switchover ") && r.contains("rolling restart, by agent")),
                "the rollout after resume switched over: " + rows);
        assertTrue(rows.stream().anyMatch(r -> r.startsWith("switchover ") && r.contains("pghactl restart")),
                "restart --all switched the leader over: " + rows);
        assertTrue(rows.contains("failover " + failedOverFrom + " -> " + failedOverTo
                + ": pghactl failover --force, by pghactl"), rows.toString());
        JsonNode last = JSON.readTree(json.out()).get(rows.size() - 1);
        assertEquals(failedOverTo, last.path("to").asText(), "the newest change is the failover: " + json.out());
    }

    private Map<String, Long> postmasters() throws java.io.IOException {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String h : cluster.dataHosts()) {
            out.put(h, cluster.postmasterPid(h));
        }
        return out;
    }

    private String show(String host, String setting) throws SQLException {
        try (Connection c = pg.connect(cluster.address(host), 5432); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("show " + setting)) {
            rs.next();
            return rs.getString(1);
        }
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
