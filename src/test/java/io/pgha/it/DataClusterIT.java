package io.pgha.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgha.lab.LabPlan;
import io.pgha.model.ClusterSpec;
import io.pgha.lab.LabWriter;
import io.pgha.lab.WriteLog;
import io.pgha.model.Role;
import io.pgha.postgres.PatroniClient;
import io.pgha.postgres.PostgresProbe;
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
 * its own agent, converged from one pghactl apply. Steps run in order on one cluster. Runs on both platforms
 * ({@link AgentCluster#OS}): this machine's Debian 12 packages, and booted Debian 13 and 14 machines.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DataClusterIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final LabPlan.Timers TIMERS = LabPlan.RECOMMENDED_TIMERS;

    private AgentCluster cluster;
    private LabPlan plan;
    private PostgresProbe pg;
    private String password;
    private final Map<String, String> parameters = new LinkedHashMap<>(Map.of("max_connections", "100"));

    @BeforeAll
    void start() throws Exception {
        plan = LabPlan.forTests(AgentCluster.tempBase(), 3, 1, AgentCluster.OS);
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
        password = cluster.ctl("get", "secret", "superuser").out().strip();
        pg = cluster.postgres("postgres", password, 5);
        AgentCluster.Outcome table = cluster.ctl("status");
        System.out.println(table.out());
        assertTrue(table.out().contains("writes->"), table.out());
        // What runs is the platform's Patroni and PostgreSQL, with the timers as the spec says them.
        String patroniVersion = plan.os().patroniVersion() + ".";
        for (String h : dataHosts()) {
            JsonNode patroni = all.get(h).path("health").path("patroni");
            assertTrue(patroni.path("version").asText().startsWith(patroniVersion), h + ": " + patroni);
            assertEquals("ttl " + TIMERS.ttl() + ", loop_wait " + TIMERS.loopWait() + ", retry_timeout "
                    + TIMERS.retryTimeout(), patroni.path("timers").asText(), h + ": " + patroni);
        }
        assertTrue(pg.show(address(dataHosts().get(0)), 5432, "server_version")
                .startsWith(plan.postgresVersion() + "."));
        // The spec's default, on every version (PostgreSQL 18's initdb would turn them on by itself, older ones not).
        assertEquals("on", pg.show(address(dataHosts().get(0)), 5432, "data_checksums"));
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
        List<String> argv = cluster.on(host, "/usr/bin/patronictl", "-c",
                cluster.pathOnHost(host, "etc/pgha-agent/patroni.yml"), "list", "-f", "json");
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
        // The lb host's agent told HAProxy as soon as the target answered /primary, and HAProxy took every command.
        String lbHost = plan.hostsWith(Role.LB).get(0).name();
        String routed = "writes routed to " + target + ", ";
        String line = cluster.awaitLogLine(List.of(lbHost), routed, Duration.ofSeconds(30)).line();
        assertTrue(line.endsWith("through HAProxy's admin socket"), line);
        System.out.println("switchover: " + line.substring(line.indexOf(routed)));
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
    void hotStandbyParametersRollOutUpAndDownOneHostAtATimeAndStatusNeverClaimsThemEarly() throws Exception {
        parameters.put("max_connections", "150");
        parameters.put("max_locks_per_transaction", "128");
        String leaderBefore = leader();
        rollOut("up (max_connections 100 -> 150, max_locks_per_transaction 64 -> 128)", 10_000_000);
        assertNotEquals(leaderBefore, leader(), "raising: the leader handed over before its own restart");

        parameters.put("max_connections", "120");
        parameters.put("max_locks_per_transaction", "96");
        String leaderBeforeDown = leader();
        rollOut("down (max_connections 150 -> 120, max_locks_per_transaction 128 -> 96)", 20_000_000);
        assertEquals(leaderBeforeDown, leader(), "lowering: the leader restarted in place, first");
    }

    /**
     * Applies {@link #parameters} with {@code pghactl apply --wait} while a writer writes through the lb, a sampler
     * watches which data hosts accept connections, and a watcher checks at every poll that no data host reports the
     * revision applied while SHOW there still gives another value. Afterwards SHOW gives the new values everywhere,
     * at once, and every acknowledged write is on the leader.
     */
    private void rollOut(String what, long firstId) throws Exception {
        Path file = cluster.base().resolve("cluster.yml");
        java.nio.file.Files.writeString(file, plan.specText(TIMERS, false, parameters));
        long before;
        try (io.pgha.dcs.EtcdDcs dcs = cluster.dcs()) {
            before = dcs.spec().orElseThrow().modRevision();
        }
        AtomicInteger maxDown = new AtomicInteger();
        AtomicBoolean sampling = new AtomicBoolean(true);
        List<String> downSeen = java.util.Collections.synchronizedList(new ArrayList<>());
        List<String> earlyClaims = java.util.Collections.synchronizedList(new ArrayList<>());
        // Only a claim compared with what SHOW gave counts as checked; failed reads are counted apart and printed.
        AtomicInteger claimsChecked = new AtomicInteger();
        AtomicInteger claimsUnverified = new AtomicInteger();
        AtomicInteger statusReadsFailed = new AtomicInteger();
        Thread sampler = new Thread(() -> {
            while (sampling.get()) {
                List<String> down = dataHosts().stream().filter(h -> !accepting(h)).toList();
                if (!down.isEmpty()) {
                    downSeen.add(String.join("+", down));
                }
                maxDown.accumulateAndGet(down.size(), Math::max);
                Map<String, JsonNode> statuses;
                try {
                    statuses = cluster.statuses();
                } catch (java.io.IOException e) {
                    statusReadsFailed.incrementAndGet();
                    statuses = Map.of();
                }
                for (String h : dataHosts()) {
                    JsonNode st = statuses.get(h);
                    if (st != null && st.path("spec_revision").asLong() > before
                            && st.path("spec_state").asText().equals("applied")) {
                        // SHOW after the status was read: a value in effect then is in effect now.
                        for (String name : List.of("max_connections", "max_locks_per_transaction")) {
                            Optional<String> shown = show(h, name);
                            if (shown.isEmpty()) {
                                claimsUnverified.incrementAndGet();
                                continue;
                            }
                            claimsChecked.incrementAndGet();
                            if (!shown.get().equals(parameters.get(name))) {
                                earlyClaims.add(h + " said applied with " + name + " = " + shown.get());
                            }
                        }
                    }
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "sampler");
        WriteLog writes = new WriteLog();
        LabWriter writer = new LabWriter(lb(), 5000, password, firstId, 50, TimeUnit.MINUTES.toMillis(6), writes::add);
        Thread writing = new Thread(writer, "writer-" + firstId);
        writing.setDaemon(true);
        writing.start();
        sampler.start();
        long start = System.currentTimeMillis();
        AgentCluster.Outcome applied;
        try {
            applied = cluster.ctlWithin(Duration.ofSeconds(330), "apply", "-f", file.toString(), "--wait",
                    "--timeout", "300");
        } finally {
            sampling.set(false);
            sampler.join(5000);
            writer.stop();
            writing.join(10_000);
        }
        long end = System.currentTimeMillis();
        assertEquals(0, applied.exitCode(), what + ": " + applied);
        for (String h : dataHosts()) {
            for (String name : List.of("max_connections", "max_locks_per_transaction")) {
                assertEquals(Optional.of(parameters.get(name)), show(h, name), what + ": " + name + " on " + h
                        + " once apply --wait returned");
            }
        }
        System.out.printf("rollout %s: apply --wait %.1f s; longest write gap via lb %.2f s; most data hosts down"
                + " at once: %d; down samples: %s; applied claims checked against SHOW: %d (SHOW failed: %d);"
                + " status reads failed: %d%n", what, (end - start) / 1e3, writes.longestGap(start, end) / 1e3,
                maxDown.get(), compress(downSeen), claimsChecked.get(), claimsUnverified.get(),
                statusReadsFailed.get());
        assertEquals(List.of(), earlyClaims, what + ": a host said applied before SHOW agreed");
        assertTrue(claimsChecked.get() > 0, what + ": the watcher compared applied claims with SHOW");
        assertTrue(maxDown.get() <= 1, what + ": at most one data host down at any moment, saw "
                + compress(downSeen));
        assertTrue(!downSeen.isEmpty(), what + ": the rollout restarted hosts (the sampler saw them down)");
        assertNoAckedRowLost(writes, what);
    }

    /** Every row the writer saw acknowledged is on the leader. */
    private void assertNoAckedRowLost(WriteLog log, String what) throws Exception {
        java.util.TreeSet<Long> acked = new java.util.TreeSet<>(log.acked());
        assertTrue(!acked.isEmpty(), what + ": the writer had writes acknowledged");
        java.util.Set<Long> present = new java.util.TreeSet<>();
        try (Connection c = pg.connect(address(leader()), 5432); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select id from drill where id between " + acked.first() + " and "
                     + acked.last())) {
            while (rs.next()) {
                present.add(rs.getLong(1));
            }
        }
        java.util.Set<Long> lost = new java.util.TreeSet<>(acked);
        lost.removeAll(present);
        assertEquals(java.util.Set.of(), lost, what + ": acknowledged rows missing (of " + acked.size() + ")");
    }

    @Test
    @Order(8)
    void hostsTakenOutOfTheSpecStopTheirProgramsKeepTheirDataAndRejoinWhenGivenBack() throws Exception {
        String leader = leader();
        String replica = dataHosts().stream().filter(h -> !h.equals(leader)).findFirst().orElseThrow();
        String lbHost = plan.hostsWith(Role.LB).get(0).name();
        Path dataDir = cluster.path(replica, plan.postgresDataDir());
        long patroni = cluster.programPid(replica, "patroni").orElseThrow();
        long haproxy = cluster.programPid(lbHost, "haproxy").orElseThrow();

        LabPlan without = plan.withHosts(plan.hosts().stream()
                .filter(h -> !h.name().equals(replica) && !h.name().equals(lbHost)).toList());
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
        // A postmaster removes its pid file when it stops (the recorded pid belongs to the host's pid namespace).
        assertTrue(!java.nio.file.Files.exists(dataDir.resolve("postmaster.pid")), "Postgres stopped on " + replica);
        assertTrue(ProcessHandle.of(haproxy).isEmpty(), "HAProxy stopped on " + lbHost);
        assertTrue(java.nio.file.Files.exists(dataDir.resolve("PG_VERSION")), "the data directory is kept");
        String controlData = cluster.runOn(replica, "/usr/lib/postgresql/" + this.plan.postgresVersion()
                + "/bin/pg_controldata", cluster.pathOnHost(replica, this.plan.postgresDataDir()));
        assertTrue(controlData.contains("shut down in recovery"), "Postgres was shut down cleanly: " + controlData);
        assertTrue(statuses().get(replica).path("warnings").toString().contains("postgres data kept in"),
                String.valueOf(statuses().get(replica)));
        // pghactl plan reads the host's own files: run where they are (inside a booted host, with its agent.yml).
        String plan;
        if (this.plan.os().booted()) {
            plan = cluster.runOn(replica, "pghactl", "plan");
        } else {
            AgentCluster.Outcome planned = cluster.ctlOn(replica, "plan");
            assertEquals(0, planned.exitCode(), planned.toString());
            plan = planned.out();
        }
        assertTrue(plan.contains("0 of ") && plan.contains("patroni stopped"), plan);

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

    /**
     * Asynchronous mode: the primary's link is cut while a writer inside its namespace keeps writing into it, so
     * that it takes writes nobody else has; after the failover the link heals. Nobody acts: the former primary must
     * stream from the new leader again within the spec's replica_repair_after plus a bound for the repair (Patroni's
     * rewind, else the agent's reinitialisation).
     */
    @Test
    @Order(9)
    void aDivergedFormerPrimaryStreamsAgainWithNoPersonActing() throws Exception {
        cluster.await("every host converged before the cut", Duration.ofSeconds(180),
                () -> statuses().values().stream().allMatch(st -> st.path("converged").asBoolean())
                        && statuses().size() == plan.hosts().size() ? Optional.of(true) : Optional.empty(),
                () -> summary(statuses()));
        io.pgha.lab.LabNetwork network = cluster.lab().network().orElseThrow();
        String isolated = leader();
        WriteLog direct = new WriteLog();
        Process inside = LabWriter.startInside(network, plan.host(isolated),
                AgentCluster.HOME.resolve("target/pgha-agent.jar"), password, 30_000_000, 50,
                TimeUnit.MINUTES.toMillis(5), direct::add);
        long healed;
        long cut;
        try {
            cluster.await("writes straight into the primary", Duration.ofSeconds(60),
                    () -> direct.acksAfter(0) >= 5 ? Optional.of(true) : Optional.empty(), () -> "none yet");
            cut = System.currentTimeMillis();
            network.cut(plan.host(isolated));
            // Asked of a host on this side of the cut: the isolated one is out of reach.
            String witness = dataHosts().stream().filter(h -> !h.equals(isolated)).findFirst().orElseThrow();
            cluster.await("a new leader", Duration.ofSeconds(120), () -> {
                try {
                    return cluster.patroni(address(witness), Duration.ofSeconds(2)).leader()
                            .map(PatroniClient.ClusterMember::name).filter(now -> !now.equals(isolated));
                } catch (java.io.IOException e) {
                    return Optional.empty();
                }
            }, () -> "still " + isolated + " as " + witness + " sees it");
            long failedOver = System.currentTimeMillis();
            assertTrue(direct.acksAfter(cut) > 0, "the isolated primary took writes of its own after the cut");
            Thread.sleep(Math.max(0, failedOver + cluster.healDelayAfterFailover(TIMERS.ttl()).toMillis()
                    - System.currentTimeMillis()));
            network.heal(plan.host(isolated));
            healed = System.currentTimeMillis();
        } finally {
            inside.destroy();
            inside.waitFor(10, TimeUnit.SECONDS);
        }
        Duration bound = Duration.ofSeconds(ClusterSpec.Patroni.REPLICA_REPAIR_AFTER_SECONDS + 180);
        cluster.await(isolated + " streaming from the new leader", bound,
                () -> Optional.ofNullable(statuses().get(isolated))
                        .filter(st -> st.path("health").path("postgres").path("streaming").asBoolean()),
                () -> String.valueOf(statuses().get(isolated)));
        System.out.printf("diverged former primary: streaming again %.1f s after the heal (%d writes only it took);"
                + " warnings: %s%n", (System.currentTimeMillis() - healed) / 1e3, direct.acksAfter(cut),
                statuses().get(isolated).path("warnings"));
    }

    private boolean accepting(String host) {
        try (Connection c = pg.connect(address(host), 5432); Statement s = c.createStatement()) {
            s.execute("select 1");
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    /**
     * A newer .deb installed on a booted Debian host, as an operator upgrades: only the agent restarts; Patroni and
     * the postmaster keep their pids, the new agent adopts them, and the operator's agent.yml stays.
     */
    @Test
    @Order(10)
    void upgradingThePackageRestartsOnlyTheAgent() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(plan.os().booted(),
                "needs a booted host with the .deb installed (PackagingIT upgrades the RPM under systemd)");
        String host = leader();
        long patroni = cluster.programPid(host, "patroni").orElseThrow();
        long postmaster = cluster.postmasterPid(host);
        long agentBefore = statuses().get(host).path("agent_pid").asLong();
        String agentYml = java.nio.file.Files.readString(cluster.path(host, "etc/pgha-agent/agent.yml"));
        cluster.lab().installPackage(plan.host(host), AgentCluster.deb(2));
        assertTrue(cluster.runOn(host, "dpkg-query", "-W", "-f=${Version}", "pgha-agent").endsWith("-2"));
        cluster.await(host + " converged under the upgraded agent", Duration.ofSeconds(120),
                () -> Optional.ofNullable(statuses().get(host)).filter(st -> st.path("agent_pid").asLong() != agentBefore
                        && st.path("converged").asBoolean()),
                () -> String.valueOf(statuses().get(host)));
        assertEquals(Optional.of(patroni), cluster.programPid(host, "patroni"), "Patroni adopted, not restarted");
        assertEquals(postmaster, cluster.postmasterPid(host), "the same postmaster");
        assertEquals(host, leader(), "no failover");
        assertEquals(agentYml, java.nio.file.Files.readString(cluster.path(host, "etc/pgha-agent/agent.yml")),
                "the operator's agent.yml (a conffile) is kept");
        String unit = cluster.runOn(host, "systemctl", "status", "pgha-agent", "--no-pager");
        assertTrue(unit.contains("Active: active (running)") && unit.contains("leader"), unit);
    }

    /**
     * Timers below Patroni 3.2's minimums: pghactl warns; Patroni 3.0 (Debian 12) runs them as given, and status says
     * so; a host with Patroni 4 (Debian 13 and 14) refuses the data role with the field, the value and what would
     * run, and leaves Patroni and its configuration as they were. The recommended timers then converge again
     * everywhere.
     */
    @Test
    @Order(11)
    void timersPatroniWouldChangeAreRefusedWhereTheyWouldBe() throws Exception {
        LabPlan.Timers fast = new LabPlan.Timers(15, 2, 4);
        java.nio.file.Path file = cluster.base().resolve("cluster.yml");
        java.nio.file.Files.writeString(file, plan.specText(fast, false, parameters));
        AgentCluster.Outcome applied = cluster.ctl("apply", "-f", file.toString());
        assertEquals(0, applied.exitCode(), applied.toString());
        assertTrue((applied.out() + applied.err()).contains("hold only on Patroni before 3.2"), applied.toString());
        long revision = AgentCluster.revisionIn(applied.out());
        Map<String, Long> patroni = new LinkedHashMap<>();
        for (String h : dataHosts()) {
            patroni.put(h, cluster.programPid(h, "patroni").orElseThrow());
        }
        for (String h : dataHosts()) {
            if (plan.os().booted()) {
                cluster.await(h + " refuses the data role at rev " + revision, Duration.ofSeconds(60),
                        () -> Optional.ofNullable(statuses().get(h)).filter(st -> st.path("spec_revision").asLong()
                                == revision && st.path("last_error").asText().contains("refusing role data: patroni.ttl:"
                                + " 15 would run as 20 on the installed Patroni " + plan.os().patroniVersion() + ".")),
                        () -> String.valueOf(statuses().get(h)));
            } else {
                cluster.await(h + " runs ttl 15 at rev " + revision, Duration.ofSeconds(60),
                        () -> Optional.ofNullable(statuses().get(h)).filter(st -> st.path("spec_revision").asLong()
                                == revision && st.path("converged").asBoolean() && st.path("health").path("patroni")
                                .path("timers").asText().equals("ttl 15, loop_wait 2, retry_timeout 4")),
                        () -> String.valueOf(statuses().get(h)));
            }
        }
        int ttl = cluster.patroni(address(dataHosts().get(0)), Duration.ofSeconds(5)).config().path("ttl").asInt();
        assertEquals(plan.os().booted() ? TIMERS.ttl() : fast.ttl(), ttl, "Patroni's dynamic configuration");
        for (String h : dataHosts()) {
            assertEquals(Optional.of(patroni.get(h)), cluster.programPid(h, "patroni"), "Patroni untouched on " + h);
        }
        long back = apply();
        cluster.await("every host converged at rev " + back + " with the recommended timers", Duration.ofSeconds(120),
                () -> {
                    Map<String, JsonNode> all = statuses();
                    boolean done = dataHosts().stream().allMatch(h -> all.containsKey(h)
                            && all.get(h).path("spec_revision").asLong() == back && all.get(h).path("converged")
                            .asBoolean() && all.get(h).path("last_error").asText().isEmpty());
                    return done ? Optional.of(true) : Optional.empty();
                }, () -> summary(statuses()));
    }

    private Optional<String> show(String host, String parameter) {
        try {
            return Optional.of(pg.show(address(host), 5432, parameter));
        } catch (SQLException e) {
            return Optional.empty();
        }
    }

    private String leader() throws Exception {
        PatroniClient patroni = cluster.patroni(address(dataHosts().get(0)), Duration.ofSeconds(5));
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
