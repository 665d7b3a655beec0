import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgha.lab.LabCtl;
import io.pgha.lab.LabPlan;
import io.pgha.supervise.Command;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Backups as a user meets them, on the lab with a repository host and a spare (`pghactl lab up --backup --spare 1`):
 * a database of a stated size loaded with pgbench through the lb; then, each {@code runs} times, through pghactl: a
 * full backup, an incremental one after 20 s of pgbench writes, a restore of the newest WAL onto the spare, a restore
 * drill; pgbench's write throughput through the lb (archiving on) during a full backup against before and after
 * it, in one pgbench run; and the whole cluster restored to the end of the archive. A step that fails counts in its
 * own column; its figures stay out of the medians.
 * Run from the repository root, as root, with no lab up:
 *   mvn -q -B package -DskipTests && java -cp target/pgha-agent.jar bench/BackupBench.java [runs [pgbench-scale]]
 */
public class BackupBench {
    static final Path HOME = Path.of("").toAbsolutePath();
    static final Path PGHACTL = HOME.resolve("daemon/pghactl");
    static final Path PGBENCH = Path.of("/usr/lib/postgresql/15/bin/pgbench");
    static final Path PSQL = Path.of("/usr/lib/postgresql/15/bin/psql");
    static final ObjectMapper JSON = new ObjectMapper();
    static final int PGBENCH_SECONDS = 20;
    /** pgbench's run around one full backup: 10 s before it, the backup, and what is left after it. */
    static final int PGBENCH_WINDOW = 60;

    final LabPlan plan = LabPlan.standard(3, 1, LabPlan.Os.LOCAL, 1).withBackupHost(LabPlan.BACKUP_ADDRESS);
    final Map<String, List<Double>> figures = new LinkedHashMap<>();
    final Map<String, Integer> failures = new LinkedHashMap<>();
    String password;

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int scale = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        new BackupBench().run(runs, scale);
    }

    void run(int runs, int scale) throws Exception {
        Command.Outcome up = Command.run(List.of(PGHACTL.toString(), "lab", "up", "--backup", "--spare", "1"),
                Duration.ofMinutes(15));
        if (!up.ok()) {
            throw new IllegalStateException("lab up failed: " + up.output());
        }
        try {
            password = ctl(Duration.ofMinutes(1), "get", "secret", "superuser").strip();
            awaitFirstBackup();
            long start = System.nanoTime();
            check(pgbench(List.of("-i", "-q", "-s", Integer.toString(scale))), "pgbench -i");
            double loadSeconds = (System.nanoTime() - start) / 1e9;
            String size = psql("select pg_size_pretty(pg_database_size('postgres'))").strip();
            for (int run = 1; run <= runs; run++) {
                System.err.printf("== run %d of %d%n", run, runs);
                step("full backup, as the repository host reports it (s)", () -> job(ctl(Duration.ofHours(1),
                        "backup", "run", "--type", "full", "--json")));
                step("incr backup after " + PGBENCH_SECONDS + " s of pgbench writes (s)", () -> {
                    check(pgbench(List.of("-N", "-c", "4", "-T", Integer.toString(PGBENCH_SECONDS))), "pgbench");
                    return job(ctl(Duration.ofHours(1), "backup", "run", "--type", "incr", "--json"));
                });
                step("pghactl restore --latest onto spare1, until it answers (s)", () -> {
                    long t = System.nanoTime();
                    ctl(Duration.ofHours(1), "restore", "--latest", "--host", "spare1", "--json");
                    double seconds = (System.nanoTime() - t) / 1e9;
                    ctl(Duration.ofMinutes(2), "restore", "--remove", "--host", "spare1");
                    return seconds;
                });
                step("restore drill of the newest backup (s)", () -> job(ctl(Duration.ofHours(1), "backup",
                        "drill", "--json")));
                // One pgbench run with a full backup in its middle: its per-second throughput inside the backup's
                // window against outside it, so that both halves meet the same database and the same cache.
                double[] split = new double[2];
                step("pgbench -N tps, archiving on, outside the backup", () -> {
                    split[0] = Double.NaN;
                    split[1] = Double.NaN;
                    long t0 = System.nanoTime();
                    CompletableFuture<Command.Outcome> bench = CompletableFuture.supplyAsync(() -> {
                        try {
                            return pgbench(List.of("-N", "-c", "4", "-P", "1", "-T", Integer.toString(PGBENCH_WINDOW)));
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    Thread.sleep(10_000);
                    double from = (System.nanoTime() - t0) / 1e9;
                    double seconds = job(ctl(Duration.ofHours(1), "backup", "run", "--type", "full", "--json"));
                    double to = (System.nanoTime() - t0) / 1e9;
                    Command.Outcome out = bench.get();
                    check(out, "pgbench");
                    List<Double> inside = new ArrayList<>();
                    List<Double> outside = new ArrayList<>();
                    Matcher m = Pattern.compile("progress: ([0-9.]+) s, ([0-9.]+) tps").matcher(out.output());
                    while (m.find()) {
                        double at = Double.parseDouble(m.group(1));
                        // A second that straddles the window's edges counts on neither side.
                        double tps = Double.parseDouble(m.group(2));
                        if (at - 1 >= from && at <= to) {
                            inside.add(tps);
                        } else if (at < from || at - 1 > to) {
                            outside.add(tps);
                        }
                    }
                    if (inside.size() < 3 || to > PGBENCH_WINDOW - 5) {
                        throw new IllegalStateException("the backup (" + seconds + " s) did not fit pgbench's window");
                    }
                    split[0] = mean(outside);
                    split[1] = mean(inside);
                    return split[0];
                });
                step("pgbench -N tps, archiving on, during a full backup", () -> {
                    if (Double.isNaN(split[1])) {
                        throw new IllegalStateException("the run above failed");
                    }
                    return split[1];
                });
                // Last in the run: the restored cluster carries on (a new timeline, a full backup of its own).
                step("restore --cluster --latest, 3 data hosts, all streaming (s)", () -> {
                    String accounts = psql("select count(*) from pgbench_accounts").strip();
                    long t = System.nanoTime();
                    ctl(Duration.ofHours(1), "restore", "--cluster", "--latest", "--yes", "--json");
                    double seconds = (System.nanoTime() - t) / 1e9;
                    String after = psql("select count(*) from pgbench_accounts").strip();
                    if (!after.equals(accounts)) {
                        throw new IllegalStateException("pgbench_accounts: " + accounts + " rows before, " + after
                                + " after");
                    }
                    return seconds;
                });
            }
            System.out.printf("%npgha-agent backup bench, %d runs, %s, %d cores, %s; database %s (pgbench scale %d,"
                    + " loaded in %.0f s), %s, lz4%n", runs, java.time.LocalDate.now(),
                    Runtime.getRuntime().availableProcessors(), git("rev-parse", "--short", "HEAD"), size, scale,
                    loadSeconds, Command.run(List.of("/usr/bin/pgbackrest", "version"), Duration.ofSeconds(10))
                            .output().strip());
            print();
        } finally {
            Command.run(List.of(PGHACTL.toString(), "lab", "down"), Duration.ofMinutes(5));
        }
    }

    interface Step {
        double measure() throws Exception;
    }

    void step(String name, Step step) {
        figures.computeIfAbsent(name, k -> new ArrayList<>());
        failures.putIfAbsent(name, 0);
        try {
            figures.get(name).add(step.measure());
        } catch (Exception e) {
            failures.merge(name, 1, Integer::sum);
            System.err.println(name + " failed: " + e.getMessage());
        }
    }

    void print() {
        System.out.printf("%-64s %10s %21s %3s %6s%n", "figure", "median", "min-max", "n", "failed");
        figures.forEach((name, values) -> {
            List<Double> sorted = new ArrayList<>(values);
            Collections.sort(sorted);
            String median = sorted.isEmpty() ? "-" : String.format(Locale.ROOT, "%.1f", median(sorted));
            String range = sorted.isEmpty() ? "-" : String.format(Locale.ROOT, "%.1f-%.1f", sorted.get(0),
                    sorted.get(sorted.size() - 1));
            System.out.printf("%-64s %10s %21s %3d %6d%n", name, median, range, sorted.size(), failures.get(name));
        });
    }

    static double mean(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    static double median(List<Double> sorted) {
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    void awaitFirstBackup() throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (System.nanoTime() < deadline) {
            if (ctl(Duration.ofMinutes(1), "backup", "list").contains("last backup: ok")) {
                return;
            }
            Thread.sleep(2000);
        }
        throw new IllegalStateException("no first backup within 5 minutes");
    }

    /** How long the job took, as the repository host reports it. */
    static double job(String json) throws Exception {
        JsonNode job = JSON.readTree(json);
        if (!job.path("state").asText().equals("ok")) {
            throw new IllegalStateException("job " + job.path("state").asText() + ": " + job.path("detail").asText());
        }
        return (job.path("finished").asLong() - job.path("started").asLong()) / 1000.0;
    }

    String ctl(Duration limit, String... args) throws Exception {
        return LabCtl.run(PGHACTL, plan, limit, args);
    }

    Command.Outcome pgbench(List<String> args) throws Exception {
        List<String> argv = new ArrayList<>(List.of(PGBENCH.toString()));
        argv.addAll(args);
        argv.add("host=" + plan.host("lb1").address() + " port=5000 user=postgres dbname=postgres sslmode=require");
        return Command.run(argv, Map.of("PGPASSWORD", password), Duration.ofMinutes(30));
    }

    String psql(String sql) throws Exception {
        Command.Outcome out = Command.run(List.of(PSQL.toString(), "-X", "-A", "-t", "-c", sql, "host="
                + plan.host("lb1").address() + " port=5000 user=postgres dbname=postgres sslmode=require"),
                Map.of("PGPASSWORD", password), Duration.ofMinutes(1));
        check(out, "psql");
        return out.output();
    }

    static void check(Command.Outcome out, String what) {
        if (!out.ok()) {
            throw new IllegalStateException(what + " failed (exit " + out.exitCode() + "): " + out.lastLine());
        }
    }

    static String git(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("git"));
        argv.addAll(List.of(args));
        return Command.run(argv, Duration.ofSeconds(10)).output().strip();
    }
}
