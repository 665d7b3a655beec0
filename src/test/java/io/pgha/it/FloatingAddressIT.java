package io.pgha.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgha.lab.LabApp;
import io.pgha.lab.LabPlan;
import io.pgha.lab.LabWriter;
import io.pgha.lab.WriteLog;
import io.pgha.model.ClusterSpec;
import io.pgha.model.Role;
import io.pgha.postgres.PostgresProbe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Two lb hosts behind the spec's floating address (keepalived), each with the pooler (PgBouncer): exactly one holds it
 * and the status names it; a writer through the address and the pooler survives the holder's power loss with nothing
 * lost, the address on the other host; the killed host boots again and never holds it beside the other (sampled from
 * both kernels); a holder whose HAProxy hangs stands down and the other takes the address; a switchover under a
 * writer through the pooler fails no transaction, and pgbench through it finishes with no client aborted; neither
 * does a rolling restart (the leader's agent pauses the poolers for its handover). Steps run in order on one cluster.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FloatingAddressIT {
    private static final Duration CONVERGE = Duration.ofSeconds(300);
    private static final Duration MOVE = Duration.ofSeconds(60);
    private static final long WRITE_INTERVAL_MILLIS = 50;
    private static final long WRITER_MAX_MILLIS = TimeUnit.MINUTES.toMillis(10);
    private static final long SAMPLE_MILLIS = 100;
    private static final int POOLER_PORT = ClusterSpec.Pooler.DEFAULT_PORT;
    private static final Duration PGBENCH_RUN = Duration.ofSeconds(25);
    /** How long a client through the pooler lets a statement wait: a switchover's pause takes a few seconds. */
    private static final int PAUSE_ALLOWANCE_SECONDS = 10;
    /** This machine's pgbench (Debian 12's PostgreSQL 15), also against the booted platforms' newer servers. */
    private static final String PGBENCH = "/usr/lib/postgresql/15/bin/pgbench";

    private AgentCluster cluster;
    private LabPlan plan;
    private String vip;
    private String password;
    private String appPassword;
    private PostgresProbe pg;

    @BeforeAll
    void start() throws Exception {
        plan = LabPlan.forTests(AgentCluster.tempBase(), 2, 2, AgentCluster.OS);
        vip = plan.vipAddress().orElseThrow();
        cluster = new AgentCluster(plan, 10);
        cluster.startAll();
        cluster.awaitEtcdHealthy(Duration.ofSeconds(90));
        long revision = cluster.apply(plan.specText(LabPlan.RECOMMENDED_TIMERS, false, Map.of()));
        cluster.awaitConverged(revision, CONVERGE);
        password = cluster.ctl("get", "secret", "superuser").out().strip();
        pg = cluster.postgres("postgres", password, 3);
        // The pooler lets no superuser in: the writers through it log in as the lab's application role.
        appPassword = LabApp.ensure(plan, vip, 5000, password);
    }

    @AfterAll
    void stop() throws IOException {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void oneLbHostHoldsTheAddressAndStatusNamesIt() throws Exception {
        String holder = awaitOneHolder();
        cluster.await("pghactl status naming " + holder, MOVE, () -> {
            String out = status();
            return out.contains("floating address " + plan.vip().get() + ": held by " + holder) ? Optional.of(true)
                    : Optional.empty();
        }, this::status);
        String line = cluster.ctl("status").out().lines().filter(l -> l.startsWith(holder + " ")).findFirst()
                .orElse("");
        assertTrue(line.contains("holds-vip"), line);
        try (Connection c = pg.connect(vip, 5000); Statement s = c.createStatement()) {
            s.execute("create table drill (id bigint primary key, note text)");
            s.execute("grant select, insert on drill to " + LabApp.ROLE);
        }
    }

    @Test
    @Order(2)
    void theHoldersPowerLossMovesTheAddressAndLosesNoWrite() throws Exception {
        String holder = awaitOneHolder();
        String other = lbHosts().stream().filter(h -> !h.equals(holder)).findFirst().orElseThrow();
        WriteLog log = new WriteLog();
        LabWriter writer = new LabWriter(vip, POOLER_PORT, LabApp.ROLE, appPassword, 1, WRITE_INTERVAL_MILLIS,
                WRITER_MAX_MILLIS, log::add).started("writer");
        long killedAt;
        long stopped;
        try {
            awaitAcks(log, 20);
            killedAt = System.currentTimeMillis();
            cluster.kill(holder);
            cluster.await("the address on " + other, MOVE, () -> holders().equals(List.of(other))
                    ? Optional.of(true) : Optional.empty(), () -> "holders " + holders());
            awaitAcks(log, log.acked().size() + 20);
        } finally {
            writer.stop();
            stopped = System.currentTimeMillis();
        }
        System.out.printf("floating address (%s): write gap through the pooler at the holder's power loss %.2f s%n",
                plan.os(),
                log.longestGap(killedAt, stopped) / 1000.0);
        Set<Long> lost = AgentCluster.lostRows(pg, log, vip, 5000);
        assertEquals(Set.of(), lost, "acknowledged rows missing after the address moved");

        // The killed host boots again: its keepalived starts as a backup and never takes the address beside the
        // holder, nor back from it (a move breaks the sessions through the holder).
        List<List<String>> samples = new ArrayList<>();
        cluster.start(holder);
        cluster.await(holder + " converged and standing by for the address", CONVERGE, () -> {
            samples.add(holders());
            JsonNode s = cluster.statusesQuietly().get(holder);
            return s != null && s.path("converged").asBoolean() && s.path("health").path("vip").has("held")
                    && !s.path("health").path("vip").path("held").asBoolean() ? Optional.of(true) : Optional.empty();
        }, () -> "holders " + holders());
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < until) {
            samples.add(holders());
            Thread.sleep(SAMPLE_MILLIS);
        }
        List<List<String>> wrong = samples.stream().filter(h -> !h.equals(List.of(other))).toList();
        assertTrue(samples.size() >= 20, "sampled " + samples.size() + " times");
        assertEquals(List.of(), wrong, "samples where the address was not on " + other + " alone, of "
                + samples.size());
    }

    @Test
    @Order(3)
    void aHolderWhoseHaproxyHangsStandsDownAndTheOtherTakesTheAddress() throws Exception {
        String holder = awaitOneHolder();
        String other = lbHosts().stream().filter(h -> !h.equals(holder)).findFirst().orElseThrow();
        // HAProxy's worker frozen (its master, which the agent supervises, stays up): alive to the supervisor, silent
        // to the agent's probes and to clients.
        long master = cluster.programPid(holder, "haproxy").orElseThrow();
        List<Long> workers = ProcessHandle.of(master).orElseThrow().children().map(ProcessHandle::pid).toList();
        assertTrue(!workers.isEmpty(), "HAProxy's master " + master + " has a worker");
        WriteLog log = new WriteLog();
        LabWriter writer = new LabWriter(vip, 5000, password, 2_000_000, WRITE_INTERVAL_MILLIS, WRITER_MAX_MILLIS,
                log::add).started("writer");
        try {
            awaitAcks(log, 20);
            AgentCluster.signal("STOP", workers);
            try {
                cluster.await("the address on " + other, MOVE, () -> holders().equals(List.of(other))
                        ? Optional.of(true) : Optional.empty(), () -> "holders " + holders());
                JsonNode vipStatus = cluster.await(holder + " reporting that it stood down", MOVE, () -> Optional
                        .ofNullable(cluster.statusesQuietly().get(holder)).map(s -> s.path("health").path("vip"))
                        .filter(v -> v.has("fault")), () -> String.valueOf(cluster.statusesQuietly().get(holder)));
                assertEquals("HAProxy not answering", vipStatus.path("fault").asText(), vipStatus.toString());
                awaitAcks(log, log.acked().size() + 20);
            } finally {
                AgentCluster.signal("CONT", workers);
            }
            cluster.await(holder + " standing by again", MOVE, () -> Optional.ofNullable(cluster.statusesQuietly()
                    .get(holder)).map(s -> s.path("health").path("vip")).filter(v -> !v.has("fault")
                    && !v.path("held").asBoolean()), () -> String.valueOf(cluster.statusesQuietly().get(holder)));
        } finally {
            writer.stop();
        }
        assertEquals(List.of(other), holders(), "the address stays where it went");
        assertEquals(Set.of(), AgentCluster.lostRows(pg, log, vip, 5000), "acknowledged rows missing");
    }

    @Test
    @Order(4)
    void aSwitchoverThroughThePoolerFailsNoTransaction() throws Exception {
        throughThePoolerAcross("switchover", 3_000_000, () -> {
            AgentCluster.Outcome switchover = cluster.ctl("switchover");
            assertEquals(0, switchover.exitCode(), switchover.toString());
            assertTrue(switchover.out().contains("poolers paused on " + lbHosts()), switchover.out());
            assertTrue(switchover.out().contains("poolers resumed on " + lbHosts()), switchover.out());
        });
    }

    @Test
    @Order(5)
    void pgbenchThroughThePoolerFinishesAcrossASwitchoverWithNoClientAborted() throws Exception {
        String conninfo = "host=" + vip + " port=" + POOLER_PORT + " user=" + LabApp.ROLE + " dbname=" + LabApp.ROLE
                + " sslmode=require connect_timeout=5";
        Map<String, String> env = Map.of("PGPASSWORD", appPassword);
        io.pgha.supervise.Command.Outcome init = io.pgha.supervise.Command.run(List.of(PGBENCH, "-i", "-s", "1", "-q",
                conninfo), env, Duration.ofSeconds(120));
        assertEquals(0, init.exitCode(), "pgbench -i: " + init.output());
        String before = cluster.leader();
        Path output = cluster.base().resolve("pgbench.out");
        ProcessBuilder pb = new ProcessBuilder(PGBENCH, "-c", "4", "-T", Long.toString(PGBENCH_RUN.toSeconds()),
                "-P", "1", conninfo).redirectErrorStream(true).redirectOutput(output.toFile());
        pb.environment().putAll(env);
        Process bench = pb.start();
        try {
            cluster.await("pgbench under way", Duration.ofSeconds(30), () -> {
                try {
                    return Files.readString(output).contains("progress: 3.") ? Optional.of(true) : Optional.empty();
                } catch (IOException e) {
                    return Optional.empty();
                }
            }, () -> "pgbench: " + readQuietly(output));
            AgentCluster.Outcome switchover = cluster.ctl("switchover");
            assertEquals(0, switchover.exitCode(), switchover.toString());
            assertTrue(bench.waitFor(PGBENCH_RUN.toSeconds() + 60, TimeUnit.SECONDS), "pgbench still running: "
                    + readQuietly(output));
        } finally {
            bench.destroyForcibly();
        }
        String out = readQuietly(output);
        assertNotEquals(before, cluster.leader(), out);
        assertEquals(0, bench.exitValue(), out);
        assertTrue(out.contains("number of failed transactions: 0 "), out);
        assertTrue(!out.contains("aborted"), out);
    }

    @Test
    @Order(6)
    void aRollingRestartThroughThePoolerFailsNoTransaction() throws Exception {
        // Raised max_connections needs a restart of every member: the replicas, then the leader hands over, its
        // agent pausing the poolers as pghactl switchover does.
        throughThePoolerAcross("rolling restart", 4_000_000, () -> {
            Path spec = cluster.base().resolve("restart.yml");
            Files.writeString(spec, plan.specText(LabPlan.RECOMMENDED_TIMERS, false, Map.of("max_connections", "150")));
            AgentCluster.Outcome applied = cluster.ctlWithin(CONVERGE.plusSeconds(30), "apply", "-f", spec.toString(),
                    "--wait", "--timeout", Long.toString(CONVERGE.toSeconds()));
            assertEquals(0, applied.exitCode(), applied.toString());
        });
    }

    /** Something that changes the leader; what pghactl printed is checked inside. */
    private interface LeaderChange {
        void run() throws Exception;
    }

    /**
     * A writer through the floating address and the pooler, patient as a pooler's client is, across {@code change}:
     * the leader changed, no write failed, every acknowledged row is there.
     */
    private void throughThePoolerAcross(String what, long firstId, LeaderChange change) throws Exception {
        String before = cluster.leader();
        WriteLog log = new WriteLog();
        LabWriter writer = new LabWriter(vip, POOLER_PORT, LabApp.ROLE, appPassword, firstId, WRITE_INTERVAL_MILLIS,
                WRITER_MAX_MILLIS, log::add).waitingUpTo(PAUSE_ALLOWANCE_SECONDS).started("writer");
        long asked;
        long done;
        try {
            awaitAcks(log, 20);
            asked = System.currentTimeMillis();
            change.run();
            awaitAcks(log, log.acked().size() + 20);
        } finally {
            writer.stop();
            done = System.currentTimeMillis();
        }
        assertNotEquals(before, cluster.leader(), what + ": the leader changed");
        System.out.printf("%s through the pooler (%s): longest write gap %.2f s%n", what, plan.os(),
                log.longestGap(asked, done) / 1000.0);
        assertEquals(List.of(), log.failures(), "writes through the pooler that failed across the " + what);
        assertEquals(Set.of(), AgentCluster.lostRows(pg, log, vip, 5000), "acknowledged rows missing");
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return e.toString();
        }
    }

    private String awaitOneHolder() throws InterruptedException {
        return cluster.await("exactly one lb host holding " + vip, MOVE, () -> {
            List<String> h = holders();
            return h.size() == 1 ? Optional.of(h.get(0)) : Optional.empty();
        }, () -> "holders " + holders());
    }

    /** The lb hosts whose kernel has the address now. */
    private List<String> holders() {
        List<String> out = new ArrayList<>();
        for (String host : lbHosts()) {
            try {
                if (cluster.lab().hasAddress(plan.host(host), vip)) {
                    out.add(host);
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return out;
    }

    private List<String> lbHosts() {
        return plan.hostsWith(Role.LB).stream().map(LabPlan.Host::name).toList();
    }

    private String status() {
        try {
            return cluster.ctl("status").out();
        } catch (IOException | InterruptedException e) {
            return e.toString();
        }
    }

    private void awaitAcks(WriteLog log, int count) throws InterruptedException {
        cluster.await(count + " acknowledged writes", Duration.ofSeconds(90),
                () -> log.acked().size() >= count ? Optional.of(true) : Optional.empty(),
                () -> log.acked().size() + " so far");
    }
}
