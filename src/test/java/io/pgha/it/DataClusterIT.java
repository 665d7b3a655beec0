package io.pgha.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgha.lab.LabPlan;
import io.pgha.model.Role;
import io.pgha.postgres.PatroniClient;
import io.pgha.probe.PostgresProbe;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The guide's seven hosts as network namespaces: 3 etcd, 3 data (Patroni + PostgreSQL), 1 lb (HAProxy), each with
 * its own agent, converged from one pghactl apply. Steps run in order on one cluster.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DataClusterIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final LabPlan.Timers TIMERS = new LabPlan.Timers(15, 2, 4);

    private AgentCluster cluster;
    private LabPlan plan;
    private PostgresProbe pg;
    private final Map<String, String> parameters = new LinkedHashMap<>(Map.of("max_connections", "100"));

    @BeforeAll
    void start() throws Exception {
        plan = LabPlan.forTests(AgentCluster.tempBase(), 3, 1);
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

    private long apply() throws Exception {
        return cluster.apply(plan.specText(TIMERS, false, parameters));
    }

    private String address(String host) {
        return plan.host(host).address();
    }

    private String lb() {
        return plan.hostsWith(Role.LB).get(0).address();
    }

    private List<String> dataHosts() {
        return plan.hostsWith(Role.DATA).stream().map(LabPlan.Host::name).toList();
    }

    @Test
    @Order(1)
    void oneApplyGivesALeaderTwoStreamingReplicasAndAnLb() throws Exception {
        long revision = apply();
        long start = System.nanoTime();
        Map<String, JsonNode> all = cluster.await("all 7 hosts converged at revision " + revision, Duration.ofSeconds(240),
                () -> {
                    Map<String, JsonNode> s = statuses();
                    boolean done = s.size() == 7 && s.values().stream().allMatch(
                            h -> h.path("converged").asBoolean() && h.path("spec_revision").asLong() == revision);
                    return done ? Optional.of(s) : Optional.empty();
                }, () -> summary(statuses()));
        System.out.printf("apply -> 7 hosts converged (leader + 2 streaming replicas + lb): %.1f s%n",
                (System.nanoTime() - start) / 1e9);
        long leaders = dataHosts().stream().filter(h -> all.get(h).path("health").path("patroni").path("role")
                .asText().equals("leader")).count();
        assertEquals(1, leaders, summary(all));
        for (String h : dataHosts()) {
            JsonNode health = all.get(h).path("health");
            if (!health.path("patroni").path("role").asText().equals("leader")) {
                assertTrue(health.path("postgres").path("streaming").asBoolean(), h + " streams: " + health);
            }
        }
        String secret = cluster.ctl("get", "secret", "superuser").out().strip();
        pg = new PostgresProbe("postgres", secret, 5);
        AgentCluster.Outcome table = cluster.ctl("status");
        System.out.println(table.out());
        assertTrue(table.out().contains("writes->"), table.out());
    }

    @Test
    @Order(2)
    void aRowWrittenThroughTheLbIsReadOnEveryReplica() throws Exception {
        try (Connection c = pg.connect(lb(), 5000); Statement s = c.createStatement()) {
            s.execute("create table drill (id bigint primary key, note text)");
            s.execute("insert into drill values (1, 'via lb')");
        }
        for (String h : dataHosts()) {
            cluster.await("row 1 visible on " + h, Duration.ofSeconds(30), () -> {
                try (Connection c = pg.connect(address(h), 5432); Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery("select note from drill where id = 1")) {
                    return rs.next() && rs.getString(1).equals("via lb") ? Optional.of(true) : Optional.empty();
                } catch (SQLException e) {
                    return Optional.empty();
                }
            }, () -> "not yet");
        }
    }

    @Test
    @Order(3)
    void theReplicaPortServesAHostInRecovery() throws Exception {
        cluster.await("a replica behind port 5001", Duration.ofSeconds(30), () -> {
            try (Connection c = pg.connect(lb(), 5001); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("select pg_is_in_recovery()")) {
                rs.next();
                return rs.getBoolean(1) ? Optional.of(true) : Optional.empty();
            } catch (SQLException e) {
                return Optional.empty();
            }
        }, () -> "no replica");
    }

    @Test
    @Order(4)
    void patronictlListAgreesWithPghactlStatus() throws Exception {
        String host = dataHosts().get(0);
        Path config = cluster.path(host, "etc/pgha-agent/patroni.yml");
        List<String> argv = new ArrayList<>(cluster.lab().network().orElseThrow().inside(plan.host(host)));
        argv.addAll(List.of("/usr/bin/patronictl", "-c", config.toString(), "list", "-f", "json"));
        Process p = new ProcessBuilder(argv).redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        Map<String, String> patronictl = new LinkedHashMap<>();
        JSON.readTree(out).forEach(m -> patronictl.put(m.path("Member").asText(), m.path("Role").asText()));
        Map<String, JsonNode> status = statuses();
        Map<String, String> ours = new LinkedHashMap<>();
        for (String h : dataHosts()) {
            ours.put(h, status.get(h).path("health").path("patroni").path("role").asText());
        }
        assertEquals(patronictl.keySet(), ours.keySet(), out);
        for (String h : dataHosts()) {
            assertEquals(patronictl.get(h).equals("Leader"), ours.get(h).equals("leader"), out + "\n" + ours);
        }
    }

    @Test
    @Order(5)
    void switchoverMovesTheLeaderAndWritesGoOnThroughTheLb() throws Exception {
        String before = leader();
        String target = dataHosts().stream().filter(h -> !h.equals(before)).findFirst().orElseThrow();
        AgentCluster.Outcome out = cluster.ctl("switchover", "--to", target);
        assertEquals(0, out.exitCode(), out.toString());
        assertTrue(out.out().contains("switched over from " + before + " to " + target), out.toString());
        assertEquals(target, leader());
        try (Connection c = pg.connect(lb(), 5000); Statement s = c.createStatement()) {
            s.execute("insert into drill values (2, 'after switchover')");
            try (ResultSet rs = s.executeQuery("select host(inet_server_addr())")) {
                rs.next();
                assertEquals(address(target), rs.getString(1));
            }
        }
    }

    @Test
    @Order(6)
    void aReloadableParameterReachesEveryDataHost() throws Exception {
        parameters.put("work_mem", "8MB");
        apply();
        for (String h : dataHosts()) {
            cluster.await("work_mem = 8MB on " + h, Duration.ofSeconds(60),
                    () -> show(h, "work_mem").filter("8MB"::equals), () -> show(h, "work_mem").orElse("?"));
        }
    }

    @Test
    @Order(7)
    void aRestartOnlyParameterRollsOutOneHostAtATime() throws Exception {
        AtomicInteger maxDown = new AtomicInteger();
        AtomicBoolean sampling = new AtomicBoolean(true);
        List<String> downSeen = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread sampler = new Thread(() -> {
            while (sampling.get()) {
                List<String> down = dataHosts().stream().filter(h -> !accepting(h)).toList();
                if (!down.isEmpty()) {
                    downSeen.add(String.join("+", down));
                }
                maxDown.accumulateAndGet(down.size(), Math::max);
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "sampler");
        sampler.start();
        String leaderBefore = leader();
        long start = System.nanoTime();
        try {
            parameters.put("max_connections", "150");
            apply();
            for (String h : dataHosts()) {
                cluster.await("max_connections = 150 on " + h, Duration.ofSeconds(240),
                        () -> show(h, "max_connections").filter("150"::equals),
                        () -> show(h, "max_connections").orElse("?") + ", down samples: " + downSeen);
            }
        } finally {
            sampling.set(false);
            sampler.join(5000);
        }
        System.out.printf("restart-only change rolled out in %.1f s; most data hosts down at once: %d; down samples: %s%n",
                (System.nanoTime() - start) / 1e9, maxDown.get(), compress(downSeen));
        assertTrue(maxDown.get() <= 1, "at most one data host down at any moment, saw " + compress(downSeen));
        assertTrue(!downSeen.isEmpty(), "the rollout restarted hosts (the sampler saw them down)");
        assertNotEquals(leaderBefore, leader(), "the leader handed over before its own restart");
        try (Connection c = pg.connect(lb(), 5000); Statement s = c.createStatement()) {
            s.execute("insert into drill values (3, 'after rollout')");
        }
    }

    @Test
    @Order(8)
    void hostsTakenOutOfTheSpecStopTheirProgramsKeepTheirDataAndRejoinWhenGivenBack() throws Exception {
        String leader = leader();
        String replica = dataHosts().stream().filter(h -> !h.equals(leader)).findFirst().orElseThrow();
        String lbHost = plan.hostsWith(Role.LB).get(0).name();
        Path dataDir = cluster.path(replica, "var/lib/pgha-agent/postgresql/15/data");
        long patroni = cluster.programPid(replica, "patroni").orElseThrow();
        long postmaster = Long.parseLong(java.nio.file.Files.readAllLines(dataDir.resolve("postmaster.pid")).get(0).strip());
        long haproxy = cluster.programPid(lbHost, "haproxy").orElseThrow();

        LabPlan without = new LabPlan(plan.cluster(), plan.prefix(), plan.network(), plan.baseDir(), plan.hosts()
                .stream().filter(h -> !h.name().equals(replica) && !h.name().equals(lbHost)).toList());
        long revision = cluster.apply(without.specText(TIMERS, false, parameters));
        Map<String, String> stoppedRole = Map.of(replica, "patroni stopped: the spec gives this host no data role",
                lbHost, "haproxy stopped: the spec gives this host no lb role");
        for (Map.Entry<String, String> e : stoppedRole.entrySet()) {
            cluster.await(e.getKey() + " reports its program stopped at rev " + revision, Duration.ofSeconds(120),
                    () -> Optional.ofNullable(statuses().get(e.getKey())).filter(s ->
                            s.path("spec_revision").asLong() == revision && s.path("converged").asBoolean()
                                    && s.path("processes").isEmpty()
                                    && s.path("warnings").toString().contains(e.getValue())),
                    () -> String.valueOf(statuses().get(e.getKey())));
        }
        assertTrue(ProcessHandle.of(patroni).isEmpty(), "Patroni stopped on " + replica);
        assertTrue(ProcessHandle.of(postmaster).isEmpty(), "Postgres stopped on " + replica);
        assertTrue(ProcessHandle.of(haproxy).isEmpty(), "HAProxy stopped on " + lbHost);
        assertTrue(java.nio.file.Files.exists(dataDir.resolve("PG_VERSION")), "the data directory is kept");
        Process control = new ProcessBuilder("/usr/lib/postgresql/15/bin/pg_controldata", dataDir.toString())
                .redirectErrorStream(true).start();
        control.getOutputStream().close();
        String controlData = new String(control.getInputStream().readAllBytes());
        assertTrue(control.waitFor(30, TimeUnit.SECONDS), "pg_controldata finished");
        assertTrue(controlData.contains("shut down in recovery"), "Postgres was shut down cleanly: " + controlData);
        assertTrue(statuses().get(replica).path("warnings").toString().contains("postgres data kept in"),
                String.valueOf(statuses().get(replica)));
        AgentCluster.Outcome plan = cluster.ctlOn(replica, "plan");
        assertEquals(0, plan.exitCode(), plan.toString());
        assertTrue(plan.out().contains("0 of ") && plan.out().contains("patroni stopped"), plan.out());

        long back = apply();
        JsonNode rejoined = cluster.await(replica + " streams again at rev " + back, Duration.ofSeconds(180),
                () -> Optional.ofNullable(statuses().get(replica)).filter(s -> s.path("spec_revision").asLong() == back
                        && s.path("converged").asBoolean()
                        && s.path("health").path("postgres").path("streaming").asBoolean()),
                () -> String.valueOf(statuses().get(replica)));
        assertEquals("replica", rejoined.path("health").path("patroni").path("role").asText(), rejoined.toString());
        cluster.await(lbHost + " routes writes again", Duration.ofSeconds(120), () -> {
            try (Connection c = pg.connect(lb(), 5000); Statement st = c.createStatement()) {
                st.execute("insert into drill values (4, 'after the lb came back')");
                return Optional.of(true);
            } catch (SQLException e) {
                return Optional.empty();
            }
        }, () -> String.valueOf(statuses().get(lbHost)));
    }

    private boolean accepting(String host) {
        try (Connection c = pg.connect(address(host), 5432); Statement s = c.createStatement()) {
            s.execute("select 1");
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    private Optional<String> show(String host, String parameter) {
        try {
            return Optional.of(pg.show(address(host), 5432, parameter));
        } catch (SQLException e) {
            return Optional.empty();
        }
    }

    private String leader() throws Exception {
        PatroniClient patroni = new PatroniClient(address(dataHosts().get(0)), 8008, Duration.ofSeconds(5));
        return patroni.leader().orElseThrow().name();
    }

    private Map<String, JsonNode> statuses() {
        try {
            return cluster.statuses();
        } catch (java.io.IOException e) {
            return Map.of();
        }
    }

    private static String summary(Map<String, JsonNode> statuses) {
        StringBuilder sb = new StringBuilder();
        statuses.forEach((h, s) -> sb.append('\n').append(h).append(": converged=").append(s.path("converged"))
                .append(" rev=").append(s.path("spec_revision")).append(" problems=").append(s.path("problems"))
                .append(" error=").append(s.path("last_error")).append(" health=").append(s.path("health")));
        return sb.toString();
    }

    /** "pg1,pg1,pg1,pg2" as "pg1 x3, pg2 x1": the order hosts went down in. */
    private static String compress(List<String> samples) {
        List<String> out = new ArrayList<>();
        String last = null;
        int count = 0;
        for (String s : new ArrayList<>(samples)) {
            if (s.equals(last)) {
                count++;
            } else {
                if (last != null) {
                    out.add(last + " x" + count);
                }
                last = s;
                count = 1;
            }
        }
        if (last != null) {
            out.add(last + " x" + count);
        }
        return String.join(", ", out);
    }
}
