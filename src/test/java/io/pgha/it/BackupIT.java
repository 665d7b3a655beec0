package io.pgha.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgha.lab.LabPlan;
import io.pgha.lab.LabWriter;
import io.pgha.lab.WriteLog;
import io.pgha.postgres.PostgresProbe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Backups that are proven, with real pgBackRest, Patroni and PostgreSQL on the namespace lab: two data hosts, a
 * repository host and a spare host. Steps run in order on one cluster; each prints its timings, none asserts one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BackupIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CONVERGE = Duration.ofSeconds(240);
    private static final Duration JOB = Duration.ofSeconds(180);

    private AgentCluster cluster;
    private LabPlan plan;
    private PostgresProbe pg;
    private String password;
    private final Map<String, String> timings = new LinkedHashMap<>();

    @BeforeAll
    void start() throws Exception {
        plan = LabPlan.forTests(AgentCluster.tempBase(), 2, 0, AgentCluster.OS, 1).withBackupHost("10.77.200.51");
        cluster = new AgentCluster(plan, 10);
        cluster.startAll();
        cluster.awaitEtcdHealthy(Duration.ofSeconds(90));
        cluster.apply(plan.specText(LabPlan.RECOMMENDED_TIMERS, false, Map.of()));
        awaitAllConverged();
        password = cluster.ctl("get", "secret", "superuser").out().strip();
        pg = cluster.postgres("postgres", password, 5);
    }

    @AfterAll
    void stop() throws Exception {
        timings.forEach((k, v) -> System.out.printf("backup timing (%s) | %-58s | %s%n", plan.os(), k, v));
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void theRepositoryTakesAFullBackupAsSoonAsTheClusterRuns() throws Exception {
        JsonNode backup = cluster.await("backup1 lists a full backup", JOB, () -> status(LabPlan.BACKUP_HOST)
                .map(s -> s.path("backup")).filter(b -> b.path("backups").size() > 0),
                () -> status(LabPlan.BACKUP_HOST).map(s -> s.path("backup").toString()).orElse("no status"));
        assertEquals("ok", backup.path("stanza").asText(), backup.toString());
        AgentCluster.Outcome list = cluster.ctl("backup", "list", "--json");
        assertEquals(0, list.exitCode(), list.toString());
        JsonNode first = JSON.readTree(list.out()).get(0);
        assertEquals("full", first.path("type").asText(), list.out());
        assertTrue(first.path("size_bytes").asLong() > 0, list.out());
        assertTrue(first.path("wal").path("start").asText().matches("[0-9A-F]{24}"), list.out());
        AgentCluster.Outcome run = cluster.ctl("backup", "run", "--type", "incr");
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().contains("incr backup on backup1: ok"), run.out());
        AgentCluster.Outcome table = cluster.ctl("backup", "list");
        assertTrue(table.out().lines().anyMatch(l -> l.contains(" incr ")), table.out());
        System.out.println(table.out());
        timings.put("first full backup (s, as backup1 reports it)", jobSeconds(backup, "backup"));
    }

    @Test
    @Order(2)
    void aPointInTimeRestoreOnTheSpareHostHasEveryRowWrittenBeforeAndNoneAfter() throws Exception {
        String leader = leader();
        long patroniBefore = cluster.programPid(leader, "patroni").orElseThrow();
        Written written = rowsThenDrop(leader, "kept", 200, 100);
        Set<Long> before = written.acknowledged();
        Instant target = written.target();
        long start = System.nanoTime();
        AgentCluster.Outcome restore = cluster.ctlWithin(Duration.ofMinutes(5), "restore", "--time",
                target.toString(), "--json");
        double seconds = (System.nanoTime() - start) / 1e9;
        assertEquals(0, restore.exitCode(), restore.toString());
        JsonNode where = JSON.readTree(restore.out().substring(restore.out().indexOf('{')));
        assertEquals("spare1", where.path("host").asText(), restore.out());
        assertEquals(cluster.address("spare1"), where.path("address").asText(), restore.out());
        Set<Long> restored = new TreeSet<>();
        try (Connection c = pg.connect(where.path("address").asText(), where.path("port").asInt());
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select id from kept")) {
            while (rs.next()) {
                restored.add(rs.getLong(1));
            }
        }
        assertEquals(before, restored, "the copy at " + target + " holds exactly the rows acknowledged before it");
        // The running cluster is untouched: the same Patroni on the leader, the table still dropped there.
        assertEquals(Optional.of(patroniBefore), cluster.programPid(leader, "patroni"));
        try (Connection c = pg.connect(cluster.address(leader), 5432); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select to_regclass('kept') is null")) {
            rs.next();
            assertTrue(rs.getBoolean(1), "kept is still dropped on the cluster");
        }
        awaitAllConverged();
        AgentCluster.Outcome removed = cluster.ctl("restore", "--remove", "--host", "spare1");
        assertEquals(0, removed.exitCode(), removed.toString());
        assertTrue(!Files.exists(cluster.path("spare1", "var/lib/pgha-agent/pgbackrest/restore")),
                "the copy's directory is removed");
        timings.put("pghactl restore --time, 300 rows, to a running copy on spare1 (s)", String.format("%.1f",
                seconds));
    }

    @Test
    @Order(3)
    void aReinitialisedReplicaIsBuiltFromTheRepositoryAndStreams() throws Exception {
        String replica = cluster.dataHosts().stream().filter(h -> !h.equals(leader())).findFirst().orElseThrow();
        Path log = cluster.path(replica, "var/log/pgha-agent/patroni.log");
        long offset = Files.size(log);
        long start = System.nanoTime();
        cluster.patroni(cluster.address(replica), Duration.ofSeconds(10)).reinitialize();
        cluster.await(replica + "'s Patroni logs a replica created using pgbackrest", JOB,
                () -> tail(log, offset).contains("replica has been created using pgbackrest") ? Optional.of(true)
                        : Optional.empty(), () -> tail(log, offset));
        cluster.await(replica + " streams again", JOB, () -> status(replica).filter(s -> s.path("converged")
                .asBoolean() && s.path("health").path("postgres").path("streaming").asBoolean()),
                () -> status(replica).map(s -> s.path("problems").toString()).orElse("no status"));
        timings.put("replica reinitialised from the repository until streaming (s)",
                String.format("%.1f", (System.nanoTime() - start) / 1e9));
    }

    @Test
    @Order(4)
    void anArchiveFailureShowsOnTheLeaderAndClearsWhileWritesGoOn() throws Exception {
        String leader = leader();
        try (Connection c = pg.connect(cluster.address(leader), 5432); Statement s = c.createStatement()) {
            s.execute("create table drill (id bigint primary key, note text)");
        }
        WriteLog writes = new WriteLog();
        LabWriter writer = new LabWriter(cluster.address(leader), 5432, password, 1, 50,
                TimeUnit.MINUTES.toMillis(8), writes::add);
        Thread thread = new Thread(writer, "backup-writer");
        thread.setDaemon(true);
        thread.start();
        try {
            cluster.kill(LabPlan.BACKUP_HOST);
            long killed = System.currentTimeMillis();
            // A segment to archive now, rather than at archive_timeout.
            try (Connection c = pg.connect(cluster.address(leader), 5432); Statement s = c.createStatement()) {
                s.execute("select pg_switch_wal()");
            }
            JsonNode failing = cluster.await(leader + " reports WAL archiving failing", JOB,
                    () -> status(leader).filter(s -> problem(s, "WAL archiving to the backup repository failing")),
                    () -> status(leader).map(s -> s.path("problems").toString()).orElse("no status"));
            long seen = System.currentTimeMillis();
            assertTrue(failing.path("health").path("postgres").path("archive").path("failing").asBoolean(),
                    failing.toString());
            cluster.start(LabPlan.BACKUP_HOST);
            cluster.await(leader + " archives again", JOB, () -> status(leader)
                    .filter(s -> !problem(s, "WAL archiving") && s.path("converged").asBoolean()),
                    () -> status(leader).map(s -> s.path("problems").toString()).orElse("no status"));
            long cleared = System.currentTimeMillis();
            long acksBefore = writes.acksAfter(0);
            cluster.await("writes acknowledged after archiving is back", Duration.ofSeconds(30),
                    () -> writes.acksAfter(cleared) >= 10 ? Optional.of(true) : Optional.empty(),
                    () -> writes.acksAfter(cleared) + " so far");
            assertTrue(writes.acksAfter(killed) - writes.acksAfter(cleared) > 0, "writes acknowledged during the"
                    + " failure (" + acksBefore + " in all)");
            timings.put("repository host killed -> archive failure in the leader's status (s)",
                    String.format("%.1f", (seen - killed) / 1e3));
            timings.put("repository host started -> failure cleared (s)", String.format("%.1f",
                    (cleared - seen) / 1e3));
            timings.put("longest write gap while the repository was away (ms)",
                    Long.toString(writes.longestGap(killed, cleared)));
        } finally {
            writer.stop();
        }
    }

    @Test
    @Order(5)
    void scheduledDrillsRestoreTheNewestBackupAndABrokenRepositoryFailsTheNextVisibly() throws Exception {
        long applied = System.currentTimeMillis();
        cluster.apply(plan.specText(LabPlan.RECOMMENDED_TIMERS, false, Map.of()).replace("drill: 30 4 * * *",
                "drill: '* * * * *'"));
        JsonNode ok = cluster.await("a scheduled drill succeeds", JOB, () -> lastJob("drill")
                .filter(j -> j.path("started").asLong() > applied && j.path("state").asText().equals("ok")),
                () -> lastJob("drill").map(JsonNode::toString).orElse("no drill yet"));
        assertTrue(ok.path("detail").asText().contains("restored and started; marker from"), ok.toString());
        timings.put("scheduled restore drill (s, as backup1 reports it)", String.format("%.1f",
                (ok.path("finished").asLong() - ok.path("started").asLong()) / 1e3));
        AgentCluster.Outcome table = cluster.ctl("status");
        assertTrue(table.out().contains("LAST-DRILL"), table.out());
        String metrics = cluster.await("/metrics tells of the drill", Duration.ofSeconds(30), () -> {
            String text = get("http://" + cluster.address(LabPlan.BACKUP_HOST) + ":8010/metrics");
            return text.contains("pgha_backup_job_ok{kind=\"drill\"} 1.0") ? Optional.of(text) : Optional.empty();
        }, () -> get("http://" + cluster.address(LabPlan.BACKUP_HOST) + ":8010/metrics"));
        assertTrue(metrics.contains("pgha_backup_job_duration_seconds{kind=\"drill\"}"), metrics);
        assertTrue(metrics.contains("pgha_backup_newest_timestamp_seconds "), metrics);

        // Broken: the newest backup's files are gone from the repository.
        String label = status(LabPlan.BACKUP_HOST).orElseThrow().path("backup").path("backups")
                .get(status(LabPlan.BACKUP_HOST).orElseThrow().path("backup").path("backups").size() - 1)
                .path("label").asText();
        Path files = cluster.path(LabPlan.BACKUP_HOST, "var/lib/pgha-agent/pgbackrest/repository/backup/"
                + plan.cluster() + "/" + label + "/pg_data");
        assertTrue(Files.isDirectory(files), files.toString());
        cluster.runOn(LabPlan.BACKUP_HOST, "rm", "-rf", "--", cluster.pathOnHost(LabPlan.BACKUP_HOST,
                "var/lib/pgha-agent/pgbackrest/repository/backup/" + plan.cluster() + "/" + label + "/pg_data"));
        long broken = System.currentTimeMillis();
        JsonNode failed = cluster.await("the next drill fails", JOB, () -> lastJob("drill")
                .filter(j -> j.path("started").asLong() > broken && j.path("state").asText().equals("failed")),
                () -> lastJob("drill").map(JsonNode::toString).orElse("no drill"));
        assertTrue(!failed.path("detail").asText().isEmpty(), failed.toString());
        JsonNode warned = cluster.await("backup1 warns of the failed drill", Duration.ofSeconds(30),
                () -> status(LabPlan.BACKUP_HOST)
                        .filter(s -> s.path("warnings").toString().contains("drill failed at")),
                () -> status(LabPlan.BACKUP_HOST).map(s -> s.path("warnings").toString()).orElse("no status"));
        assertTrue(warned.path("warnings").toString().contains(failed.path("detail").asText().substring(0, 20)),
                warned.toString());
        AgentCluster.Outcome after = cluster.ctl("status");
        String row = after.out().lines().filter(l -> l.startsWith("backup1 ") && l.contains(" ok "))
                .reduce((a, b) -> b).orElse("");
        assertTrue(row.contains("failed "), "pghactl status shows the failed drill:\n" + after.out());
        System.out.println(after.out());
    }

    @Test
    @Order(6)
    void theWholeClusterRestoredToAPointInTimeHasEveryRowBeforeItOnEveryMemberAndStreams() throws Exception {
        // A backup of its own: step 5 broke the newest one on purpose.
        AgentCluster.Outcome full = cluster.ctlWithin(Duration.ofMinutes(5), "backup", "run", "--type", "full");
        assertEquals(0, full.exitCode(), full.toString());
        String leader = leader();
        long timelineBefore = cluster.timeline(leader);
        Written written = rowsThenDrop(leader, "precious", 150, 100);
        Set<Long> before = written.acknowledged();
        Instant target = written.target();
        AgentCluster.Outcome unconfirmed = cluster.ctl("restore", "--cluster", "--time", target.toString());
        assertEquals(2, unconfirmed.exitCode(), unconfirmed.toString());
        assertTrue(unconfirmed.err().contains("Say --yes"), unconfirmed.toString());
        assertEquals(timelineBefore, cluster.timeline(leader), "without --yes nothing changes");

        long start = System.nanoTime();
        AgentCluster.Outcome restore = cluster.ctlWithin(Duration.ofMinutes(10), "restore", "--cluster", "--yes",
                "--time", target.toString(), "--json");
        double seconds = (System.nanoTime() - start) / 1e9;
        assertEquals(0, restore.exitCode(), restore.toString());
        System.out.println(restore.err());
        JsonNode done = JSON.readTree(restore.out().substring(restore.out().indexOf('{')));
        assertTrue(cluster.dataHosts().contains(done.path("leader").asText()), restore.out());
        assertTrue(done.path("timeline").asLong() > timelineBefore, "a new timeline: " + restore.out());
        AgentCluster.Outcome history = cluster.ctl("history", "--json");
        assertEquals(0, history.exitCode(), history.toString());
        List<String> restores = new ArrayList<>();
        JSON.readTree(history.out()).forEach(r -> {
            if (r.path("why").asText().equals("restore")) {
                restores.add(r.path("timeline").asLong() + " " + r.path("to").asText());
            }
        });
        assertEquals(List.of(done.path("timeline").asLong() + " " + done.path("leader").asText()), restores,
                "pghactl history tells the restore: " + history.out());
        for (String host : cluster.dataHosts()) {
            Set<Long> rows = new TreeSet<>();
            try (Connection c = pg.connect(cluster.address(host), 5432); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("select id from precious")) {
                while (rs.next()) {
                    rows.add(rs.getLong(1));
                }
            }
            assertEquals(before, rows, host + " holds exactly the rows acknowledged before " + target);
            // As the host names it: a booted machine's paths are under its root here.
            String named = done.path("kept").path(host).asText();
            Path kept = plan.os().booted() ? cluster.path(host, named.substring(1)) : Path.of(named);
            assertTrue(Files.exists(kept.resolve("PG_VERSION")), host + " keeps its data from before the restore in "
                    + kept + ": " + restore.out());
            if (!host.equals(done.path("leader").asText())) {
                JsonNode replica = status(host).orElseThrow();
                assertTrue(replica.path("health").path("postgres").path("streaming").asBoolean(), replica.toString());
                assertEquals(done.path("timeline").asLong(), replica.path("health").path("patroni").path("timeline")
                        .asLong(), replica.toString());
            }
        }
        try (Connection c = pg.connect(cluster.address(done.path("leader").asText()), 5432);
             Statement s = c.createStatement()) {
            s.execute("insert into precious (id) values (1000)");
        }
        // The restored cluster has a full backup of its own, newer than the restore's start.
        AgentCluster.Outcome list = cluster.ctl("backup", "list", "--json");
        JsonNode backups = JSON.readTree(list.out());
        JsonNode newest = backups.get(backups.size() - 1);
        assertEquals("full", newest.path("type").asText(), list.out());
        assertTrue(Instant.parse(newest.path("start").asText()).isAfter(target), list.out());
        awaitAllConverged();
        timings.put("pghactl restore --cluster --time, 2 data hosts, until every one streams (s)",
                String.format("%.1f", seconds));
    }

    // --- helpers ---

    /** What {@link #rowsThenDrop} wrote: the rows acknowledged before {@code target}. */
    private record Written(Instant target, Set<Long> acknowledged) {
    }

    /**
     * A new table on the leader with rows 1..{@code before} acknowledged, a point in time, {@code after} more rows,
     * and the table dropped: what a restore to that time must give back exactly.
     */
    private Written rowsThenDrop(String leader, String table, int before, int after) throws Exception {
        Set<Long> acknowledged = new TreeSet<>();
        try (Connection c = pg.connect(cluster.address(leader), 5432); Statement s = c.createStatement()) {
            s.execute("create table " + table + " (id bigint primary key)");
            for (long id = 1; id <= before; id++) {
                s.execute("insert into " + table + " (id) values (" + id + ")");
                acknowledged.add(id);
            }
        }
        // Recovery compares the target with commit times: the gaps keep it clear of both sets of rows.
        Thread.sleep(50);
        Instant target = Instant.now();
        Thread.sleep(50);
        try (Connection c = pg.connect(cluster.address(leader), 5432); Statement s = c.createStatement()) {
            for (long id = before + 1; id <= before + after; id++) {
                s.execute("insert into " + table + " (id) values (" + id + ")");
            }
            s.execute("drop table " + table);
        }
        return new Written(target, acknowledged);
    }

    private Optional<JsonNode> status(String host) {
        try {
            return Optional.ofNullable(cluster.statuses().get(host));
        } catch (java.io.IOException e) {
            return Optional.empty();
        }
    }

    private Optional<JsonNode> lastJob(String kind) {
        return status(LabPlan.BACKUP_HOST).flatMap(s -> {
            for (JsonNode j : s.path("backup").path("jobs")) {
                if (j.path("kind").asText().equals(kind)) {
                    return Optional.of(j);
                }
            }
            return Optional.empty();
        });
    }

    private static String jobSeconds(JsonNode backup, String kind) {
        for (JsonNode j : backup.path("jobs")) {
            if (j.path("kind").asText().equals(kind) && j.path("finished").asLong() > 0) {
                return String.format("%.1f", (j.path("finished").asLong() - j.path("started").asLong()) / 1e3);
            }
        }
        return "-";
    }

    private static String get(String url) {
        try {
            return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        } catch (java.io.IOException e) {
            return e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return e.toString();
        }
    }

    private static boolean problem(JsonNode status, String part) {
        for (JsonNode p : status.path("problems")) {
            if (p.asText().contains(part)) {
                return true;
            }
        }
        return false;
    }

    private String leader() {
        return cluster.dataHosts().stream().filter(h -> status(h).map(s -> s.path("health").path("patroni")
                .path("role").asText().equals("leader")).orElse(false)).findFirst()
                .orElseThrow(() -> new AssertionError("no leader in the statuses"));
    }

    private static String tail(Path log, long offset) {
        try {
            byte[] all = Files.readAllBytes(log);
            return new String(all, (int) Math.min(offset, all.length), (int) Math.max(0, all.length - offset),
                    java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    private void awaitAllConverged() throws InterruptedException {
        cluster.await("every host converged", CONVERGE, () -> {
            Map<String, JsonNode> all = statusesQuietly();
            boolean done = all.size() == plan.hosts().size()
                    && all.values().stream().allMatch(s -> s.path("converged").asBoolean());
            return done ? Optional.of(true) : Optional.empty();
        }, () -> {
            List<String> lines = new ArrayList<>();
            statusesQuietly().forEach((h, s) -> lines.add(h + " " + s.path("converged") + " " + s.path("problems")
                    + " " + s.path("last_error")));
            return String.join("\n", lines);
        });
    }

    private Map<String, JsonNode> statusesQuietly() {
        return cluster.statusesQuietly();
    }
}
