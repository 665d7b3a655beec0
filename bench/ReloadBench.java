import io.pgha.lab.LabCtl;
import io.pgha.lab.LabPlan;
import io.pgha.postgres.PostgresProbe;
import io.pgha.supervise.Command;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What an HAProxy reload costs new connections to the writes port, as a user meets it: on the seven-host lab, each
 * round applies a spec whose only change is HAProxy's stats port ({@code pghactl apply --wait}: the lb host's agent
 * reloads HAProxy, nothing else changes), while 2 clients each open a new connection through the lb's port 5000
 * every 20 ms (or as soon as the last one is done) and ask {@code pg_is_in_recovery()}, from 2 s before the apply
 * until 2 s after it returned. Per round: the connections tried, those that reached a replica, those that failed.
 * A round whose apply fails counts apart.
 * Run from the repository root, as root, with no lab up:
 *   mvn -q -B package -DskipTests && java -cp target/pgha-agent.jar bench/ReloadBench.java [rounds]
 */
public class ReloadBench {
    static final Path HOME = Path.of("").toAbsolutePath();
    static final Path PGHACTL = HOME.resolve("daemon/pghactl");
    static final int CLIENTS = 2;

    final LabPlan plan = LabPlan.standard(3, 1, LabPlan.Os.LOCAL, 0);
    final Map<String, List<Double>> figures = new LinkedHashMap<>();
    int failedRounds;
    String password;

    public static void main(String[] args) throws Exception {
        new ReloadBench().run(args.length > 0 ? Integer.parseInt(args[0]) : 10);
    }

    void run(int rounds) throws Exception {
        Command.Outcome up = Command.run(List.of(PGHACTL.toString(), "lab", "up"), Duration.ofMinutes(15));
        if (!up.ok()) {
            throw new IllegalStateException("lab up failed: " + up.output());
        }
        try {
            password = LabCtl.run(PGHACTL, plan, Duration.ofMinutes(1), "get", "secret", "superuser").strip();
            String lb = plan.host("lb1").address();
            Path spec = Files.createTempFile("reload-bench", ".yml");
            for (int i = 0; i < rounds; i++) {
                Files.writeString(spec, plan.specText(LabPlan.RECOMMENDED_TIMERS, false, Map.of())
                        + "haproxy: {stats_port: " + (7001 + i % 2) + "}\n");
                List<String> outcomes = Collections.synchronizedList(new ArrayList<>());
                AtomicBoolean running = new AtomicBoolean(true);
                List<Thread> clients = new ArrayList<>();
                for (int c = 0; c < CLIENTS; c++) {
                    clients.add(new Thread(() -> connectEvery20Ms(lb, running, outcomes), "client-" + c));
                    clients.get(c).start();
                }
                Command.Outcome applied;
                try {
                    Thread.sleep(2000);
                    applied = Command.run(List.of(PGHACTL.toString(), "--config",
                            plan.agentYml(plan.hosts().get(0)).toString(), "apply", "-f", spec.toString(), "--wait"),
                            Duration.ofMinutes(3));
                    Thread.sleep(2000);
                } finally {
                    running.set(false);
                    for (Thread client : clients) {
                        client.join(10_000);
                    }
                }
                if (!applied.ok()) {
                    failedRounds++;
                    System.err.println("round " + (i + 1) + ": apply --wait failed: " + applied.output());
                    continue;
                }
                List<String> seen = List.copyOf(outcomes);
                add("new connections tried per round", seen.size());
                add("of them reached a replica", seen.stream().filter("replica"::equals).count());
                add("of them failed", seen.stream().filter(o -> !o.equals("primary") && !o.equals("replica"))
                        .count());
                int round = i + 1;
                seen.stream().filter(o -> !o.equals("primary")).forEach(o -> System.err.println("round " + round
                        + ": " + o));
            }
            System.out.printf("ReloadBench at %s, %d rounds (%d failed and left out)%n", git("rev-parse", "--short",
                    "HEAD"), rounds, failedRounds);
            print();
        } finally {
            Command.run(List.of(PGHACTL.toString(), "lab", "down"), Duration.ofMinutes(5));
        }
    }

    /** A new connection every 20 ms: "primary", "replica", or why it failed. */
    void connectEvery20Ms(String lb, AtomicBoolean running, List<String> outcomes) {
        // The project's own client, as SecurityIT's probe: TLS checked against the lab's CA.
        PostgresProbe client = new PostgresProbe("postgres", password, 2, plan.adminTls().ca());
        long end = System.nanoTime() + Duration.ofMinutes(4).toNanos();
        while (running.get() && System.nanoTime() < end) {
            long started = System.nanoTime();
            try (Connection c = client.connect(lb, 5000); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("select pg_is_in_recovery()")) {
                rs.next();
                outcomes.add(rs.getBoolean(1) ? "replica" : "primary");
            } catch (SQLException e) {
                outcomes.add("failed: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
            }
            long rest = 20 - (System.nanoTime() - started) / 1_000_000;
            try {
                Thread.sleep(Math.max(0, rest));
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    void add(String name, double value) {
        figures.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
    }

    void print() {
        System.out.printf("%-40s %8s %10s %6s %3s%n", "figure", "median", "min-max", "total", "n");
        figures.forEach((name, values) -> {
            List<Double> sorted = new ArrayList<>(values);
            Collections.sort(sorted);
            int n = sorted.size();
            double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
            System.out.printf(Locale.ROOT, "%-40s %8.1f %10s %6.0f %3d%n", name, median,
                    String.format(Locale.ROOT, "%.0f-%.0f", sorted.get(0), sorted.get(n - 1)),
                    sorted.stream().mapToDouble(Double::doubleValue).sum(), n);
        });
    }

    static String git(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("git"));
        argv.addAll(List.of(args));
        return Command.run(argv, Duration.ofSeconds(10)).output().strip();
    }
}
