package io.pgha.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgha.dcs.EtcdDcs;
import io.pgha.dcs.Versioned;
import io.pgha.lab.LabPlan;
import io.pgha.lab.LabWriter;
import io.pgha.lab.WriteLog;
import io.pgha.model.HostRequest;
import io.pgha.model.PostgresUpgrade;
import io.pgha.model.Role;
import io.pgha.postgres.PostgresProbe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A major upgrade from the spec on booted machines with two PostgreSQL majors (Debian 13's 17 with Debian 12's 15),
 * three data hosts in synchronous mode, a repository host, a writer through the lb: a pre-flight that refuses changes
 * nothing; a failure after the leader stopped rolls every host back to the old major with nothing lost; the upgrade
 * completes while a replica is killed, which rejoins on the new major. Steps run in order on one cluster.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MajorUpgradeIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CONVERGE = Duration.ofSeconds(300);
    private static final Duration UPGRADE = Duration.ofMinutes(15);
    private static final long WRITE_INTERVAL_MILLIS = 50;
    private static final long WRITER_MAX_MILLIS = TimeUnit.MINUTES.toMillis(10);
    private static final String PROBE_EXTENSION = "pgha_upgrade_probe";

    private AgentCluster cluster;
    private LabPlan plan;
    private int from;
    private int to;
    private Path upgradeSpec;
    private PostgresProbe pg;
    private String password;
    private final Map<String, String> timings = new LinkedHashMap<>();

    @BeforeAll
    void start() throws Exception {
        LabPlan.Os os = AgentCluster.OS;
        from = os.postgresVersions().get(0);
        to = os.postgresVersion();
        plan = LabPlan.forTests(AgentCluster.tempBase(), 3, 1, os).withPostgres(from)
                .withBackupHost("10.77.200.51");
        cluster = new AgentCluster(plan, 10);
        cluster.startAll();
        cluster.awaitEtcdHealthy(Duration.ofSeconds(90));
        long revision = cluster.apply(plan.specText(LabPlan.RECOMMENDED_TIMERS, true, Map.of()));
        cluster.awaitConverged(revision, CONVERGE);
        upgradeSpec = cluster.base().resolve("upgrade.yml");
        Files.writeString(upgradeSpec, plan.withPostgres(to).specText(LabPlan.RECOMMENDED_TIMERS, true, Map.of()));
        password = cluster.ctl("get", "secret", "superuser").out().strip();
        pg = cluster.postgres("postgres", password, 3);
        try (Connection c = pg.connect(lb(), 5000); Statement s = c.createStatement()) {
            s.execute("create table drill (id bigint primary key, note text)");
        }
    }

    @AfterAll
    void stop() throws Exception {
        timings.forEach((k, v) -> System.out.printf("upgrade timing (%s) | %-58s | %s%n", plan.os(), k, v));
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void aPreflightRefusalStopsNothing() throws Exception {
        // An extension installed for the old major only, as a package for one major would leave it.
        Path extensions = Path.of("usr/share/postgresql", Integer.toString(from), "extension");
        for (String host : dataHosts()) {
            Path dir = cluster.path(host, extensions.toString());
            Files.writeString(dir.resolve(PROBE_EXTENSION + ".control"),
                    "default_version = '1.0'\nrelocatable = true\n");
            Files.writeString(dir.resolve(PROBE_EXTENSION + "--1.0.sql"),
                    "CREATE FUNCTION pgha_upgrade_probe() RETURNS int LANGUAGE sql AS 'select 1';\n");
        }
        try (Connection c = pg.connect(lb(), 5000); Statement s = c.createStatement()) {
            s.execute("create extension " + PROBE_EXTENSION);
        }
        Map<String, Long> patroni = patroniPids();
        AgentCluster.Outcome refused = cluster.ctlWithin(UPGRADE, "apply", "-f", upgradeSpec.toString());
        assertEquals(1, refused.exitCode(), refused.toString());
        assertTrue(refused.err().contains("the pre-flight refused the upgrade") && refused.err().contains(
                "extensions not available for PostgreSQL " + to + ": " + PROBE_EXTENSION + " (database postgres)"),
                refused.toString());
        assertTrue(refused.err().contains("nothing was changed"), refused.toString());
        assertEquals(patroni, patroniPids(), "no Patroni was stopped or restarted");
        assertEveryHostRuns(from);
        try (Connection c = pg.connect(lb(), 5000); Statement s = c.createStatement()) {
            s.execute("drop extension " + PROBE_EXTENSION);
        }
        for (String host : dataHosts()) {
            Path dir = cluster.path(host, extensions.toString());
            Files.delete(dir.resolve(PROBE_EXTENSION + ".control"));
            Files.delete(dir.resolve(PROBE_EXTENSION + "--1.0.sql"));
        }
    }

    @Test
    @Order(2)
    void aFailureAfterTheLeaderStoppedRollsEveryHostBack() throws Exception {
        String leader = cluster.leader();
        // Where pg_upgrade's new data directory goes, a file: its initdb cannot run, after the leader has stopped.
        Path inTheWay = cluster.path(leader, plan.postgresDataDir()).getParent().resolveSibling(Integer.toString(to));
        Files.writeString(inTheWay, "in the way\n");
        WriteLog log = new WriteLog();
        LabWriter writer = startWriter(log, 1_000_000);
        try {
            awaitAcks(log, 20);
            long start = System.currentTimeMillis();
            AgentCluster.Outcome failed = cluster.ctlWithin(UPGRADE, "apply", "-f", upgradeSpec.toString());
            assertEquals(1, failed.exitCode(), failed.toString());
            assertTrue(failed.err().contains("rolled back, every data host runs PostgreSQL " + from
                    + " with its data as before"), failed.toString());
            awaitAcks(log, log.acked().size() + 20);
            timings.put("rolled back: longest write gap through the lb (s)", String.format("%.1f",
                    log.longestGap(start, System.currentTimeMillis()) / 1000.0));
        } finally {
            writer.stop();
            Files.deleteIfExists(inTheWay);
        }
        assertEveryHostRuns(from);
        assertNoAckedRowLost(log, "rollback");
    }

    @Test
    @Order(3)
    void theUpgradeCompletesWhileAReplicaIsKilledWhichRejoinsOnTheNewMajor() throws Exception {
        String leader = cluster.leader();
        String killed = dataHosts().stream().filter(h -> !h.equals(leader)).findFirst().orElseThrow();
        WriteLog log = new WriteLog();
        LabWriter writer = startWriter(log, 2_000_000);
        AgentCluster.Outcome upgraded;
        long start = System.currentTimeMillis();
        try {
            awaitAcks(log, 20);
            CompletableFuture<AgentCluster.Outcome> apply = CompletableFuture.supplyAsync(() -> {
                try {
                    return cluster.ctlWithin(UPGRADE, "apply", "-f", upgradeSpec.toString(), "--timeout", "900");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            // Once the leader runs pg_upgrade, a replica's host loses its power and boots again: its agent finds the
            // upgrade where it is then, and the data directory of the old major.
            cluster.await(leader + " asked to run pg_upgrade", UPGRADE, () -> phase(leader)
                    .filter(p -> p.equals(PostgresUpgrade.UPGRADE) || apply.isDone()), () -> phase(leader)
                    .orElse("no request"));
            cluster.kill(killed);
            cluster.start(killed);
            upgraded = apply.get(UPGRADE.toMinutes(), TimeUnit.MINUTES);
            assertEquals(0, upgraded.exitCode(), upgraded.toString());
            awaitAcks(log, log.acked().size() + 20);
            timings.put("upgrade: longest write gap through the lb (s)", String.format("%.1f",
                    log.longestGap(start, System.currentTimeMillis()) / 1000.0));
        } finally {
            writer.stop();
        }
        System.out.println(upgraded.out());
        assertTrue(upgraded.out().contains("upgraded to PostgreSQL " + to), upgraded.out());
        assertTrue(upgraded.out().contains("backup repository's stanza upgraded to PostgreSQL " + to), upgraded.out());
        timings.put("upgrade: pghactl apply, whole (s)", String.format("%.1f",
                (System.currentTimeMillis() - start) / 1000.0));

        for (String host : dataHosts()) {
            cluster.await(host + " on PostgreSQL " + to, CONVERGE, () -> major(host).filter(m -> m == to),
                    () -> major(host).map(m -> "PostgreSQL " + m).orElse("not answering"));
        }
        String newLeader = cluster.leader();
        for (String host : dataHosts()) {
            if (!host.equals(newLeader)) {
                cluster.await(host + " streaming from " + newLeader, CONVERGE, () -> status(host)
                        .filter(s -> s.path("health").path("postgres").path("streaming").asBoolean()),
                        () -> status(host).map(s -> s.path("health").toString()).orElse("no status"));
            }
        }
        assertNoAckedRowLost(log, "upgrade");
        // The repository follows: a full backup of the new major, taken by the upgrade.
        JsonNode backups = JSON.readTree(cluster.ctl("backup", "list", "--json").out());
        JsonNode last = backups.get(backups.size() - 1);
        assertEquals("full", last.path("type").asText(), backups.toString());
        assertTrue(java.time.Instant.parse(last.path("stop").asText()).toEpochMilli() > start, backups.toString());
        try (Connection c = pg.connect(lb(), 5000); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select version()")) {
            rs.next();
            assertTrue(rs.getString(1).startsWith("PostgreSQL " + to + "."), rs.getString(1));
        }
    }

    // --- helpers ---

    private void assertEveryHostRuns(int major) throws Exception {
        for (String host : dataHosts()) {
            cluster.await(host + " runs PostgreSQL " + major, CONVERGE, () -> major(host).filter(m -> m == major),
                    () -> major(host).map(m -> "PostgreSQL " + m).orElse("not answering"));
        }
        try (Connection c = pg.connect(lb(), 5000); Statement s = c.createStatement()) {
            s.executeUpdate("insert into drill (id, note) values (" + (System.nanoTime() & 0xFFFFFFFFL) + ", 'after')");
        }
    }

    private Optional<Integer> major(String host) {
        try (Connection c = pg.connect(plan.host(host).address(), 5432); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select current_setting('server_version_num')::int / 10000")) {
            rs.next();
            return Optional.of(rs.getInt(1));
        } catch (SQLException e) {
            return Optional.empty();
        }
    }

    private Optional<String> phase(String host) {
        try (EtcdDcs dcs = cluster.dcs()) {
            return dcs.request(host).map(Versioned::value).filter(r -> r.kind().equals(HostRequest.UPGRADE))
                    .map(HostRequest::type);
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    private Map<String, Long> patroniPids() {
        Map<String, Long> out = new LinkedHashMap<>();
        dataHosts().forEach(h -> out.put(h, cluster.programPid(h, "patroni").orElse(0L)));
        return out;
    }

    private LabWriter startWriter(WriteLog log, long firstId) {
        return new LabWriter(lb(), 5000, password, firstId, WRITE_INTERVAL_MILLIS, WRITER_MAX_MILLIS, log::add)
                .started("writer-" + firstId);
    }

    private void awaitAcks(WriteLog log, int count) throws InterruptedException {
        cluster.await(count + " acknowledged writes", Duration.ofSeconds(90),
                () -> log.acked().size() >= count ? Optional.of(true) : Optional.empty(),
                () -> log.acked().size() + " so far");
    }

    /** Every row the writer saw acknowledged is on the leader (synchronous mode promises it). */
    private void assertNoAckedRowLost(WriteLog log, String what) throws Exception {
        Set<Long> acked = log.acked();
        assertTrue(!acked.isEmpty(), what + ": the writer had writes acknowledged");
        Set<Long> lost = AgentCluster.lostRows(pg, log, lb(), 5000);
        timings.put(what + ": acknowledged writes / lost", acked.size() + " / " + lost.size());
        assertEquals(Set.of(), lost, what + ": acknowledged rows missing");
    }

    private List<String> dataHosts() {
        return plan.hostsWith(Role.DATA).stream().map(LabPlan.Host::name).toList();
    }

    private String lb() {
        return plan.hostsWith(Role.LB).get(0).address();
    }

    private Map<String, JsonNode> statuses() {
        try {
            return cluster.statuses();
        } catch (java.io.IOException e) {
            return Map.of();
        }
    }

    private Optional<JsonNode> status(String host) {
        return Optional.ofNullable(statuses().get(host));
    }
}
