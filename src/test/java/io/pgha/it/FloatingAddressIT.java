package io.pgha.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgha.lab.LabPlan;
import io.pgha.lab.LabWriter;
import io.pgha.lab.WriteLog;
import io.pgha.model.Role;
import io.pgha.postgres.PostgresProbe;
import java.io.IOException;
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
 * Two lb hosts behind the spec's floating address (keepalived): exactly one holds it and the status names it; a writer
 * through the address survives the holder's power loss with nothing lost, the address on the other host; the killed
 * host boots again and never holds it beside the other (sampled from both kernels); a holder whose HAProxy hangs stands
 * down and the other takes the address. Steps run in order on one cluster.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FloatingAddressIT {
    private static final Duration CONVERGE = Duration.ofSeconds(300);
    private static final Duration MOVE = Duration.ofSeconds(60);
    private static final long WRITE_INTERVAL_MILLIS = 50;
    private static final long WRITER_MAX_MILLIS = TimeUnit.MINUTES.toMillis(10);
    private static final long SAMPLE_MILLIS = 100;

    private AgentCluster cluster;
    private LabPlan plan;
    private String vip;
    private String password;
    private PostgresProbe pg;

    @BeforeAll
    void start() throws Exception {
        plan = LabPlan.forTests(AgentCluster.tempBase(), 2, 2, AgentCluster.OS);
        String cidr = plan.vip().orElseThrow();
        vip = cidr.substring(0, cidr.indexOf('/'));
        cluster = new AgentCluster(plan, 10);
        cluster.startAll();
        cluster.awaitEtcdHealthy(Duration.ofSeconds(90));
        long revision = cluster.apply(plan.specText(LabPlan.RECOMMENDED_TIMERS, false, Map.of()));
        cluster.awaitConverged(revision, CONVERGE);
        password = cluster.ctl("get", "secret", "superuser").out().strip();
        pg = cluster.postgres("postgres", password, 3);
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
        }
    }

    @Test
    @Order(2)
    void theHoldersPowerLossMovesTheAddressAndLosesNoWrite() throws Exception {
        String holder = awaitOneHolder();
        String other = lbHosts().stream().filter(h -> !h.equals(holder)).findFirst().orElseThrow();
        WriteLog log = new WriteLog();
        LabWriter writer = new LabWriter(vip, 5000, password, 1, WRITE_INTERVAL_MILLIS, WRITER_MAX_MILLIS, log::add)
                .started("writer");
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
        System.out.printf("floating address (%s): write gap at the holder's power loss %.2f s%n", plan.os(),
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
        List<String> workers = ProcessHandle.of(master).orElseThrow().children()
                .map(p -> Long.toString(p.pid())).toList();
        assertTrue(!workers.isEmpty(), "HAProxy's master " + master + " has a worker");
        WriteLog log = new WriteLog();
        LabWriter writer = new LabWriter(vip, 5000, password, 2_000_000, WRITE_INTERVAL_MILLIS, WRITER_MAX_MILLIS,
                log::add).started("writer");
        try {
            awaitAcks(log, 20);
            signal("STOP", workers);
            try {
                cluster.await("the address on " + other, MOVE, () -> holders().equals(List.of(other))
                        ? Optional.of(true) : Optional.empty(), () -> "holders " + holders());
                JsonNode vipStatus = cluster.await(holder + " reporting that it stood down", MOVE, () -> Optional
                        .ofNullable(cluster.statusesQuietly().get(holder)).map(s -> s.path("health").path("vip"))
                        .filter(v -> v.has("fault")), () -> String.valueOf(cluster.statusesQuietly().get(holder)));
                assertEquals("HAProxy not answering", vipStatus.path("fault").asText(), vipStatus.toString());
                awaitAcks(log, log.acked().size() + 20);
            } finally {
                signal("CONT", workers);
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

    private static void signal(String signal, List<String> pids) throws IOException {
        List<String> argv = new ArrayList<>(List.of("kill", "-" + signal));
        argv.addAll(pids);
        io.pgha.supervise.Command.Outcome out = io.pgha.supervise.Command.run(argv, Duration.ofSeconds(10));
        assertEquals(0, out.exitCode(), String.join(" ", argv) + ": " + out.output());
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
