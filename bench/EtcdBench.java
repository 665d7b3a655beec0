import io.pgha.dcs.DcsException;
import io.pgha.dcs.EtcdDcs;
import io.pgha.lab.LabPlan;
import io.pgha.lab.LabWriter;
import io.pgha.lab.WriteLog;
import io.pgha.model.EtcdMember;
import io.pgha.model.HostStatus;
import io.pgha.model.Role;
import io.pgha.postgres.PostgresProbe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * etcd looked after by the agents, as a user meets it: `pghactl lab up --sync --spare 1`, a writer through the lb,
 * then (1) history piled up and compacted as etcd's hourly compaction leaves it, which the raft leader's agent
 * defragments member by member with the spec's default thresholds, and (2) `pghactl lab kill etcd3` and `pghactl
 * apply` of a spec that gives spare1 the etcd role instead. Prints medians over the runs; a run that fails is
 * counted apart. Run from the repository root, as root, with no lab up:
 *   mvn -q -B package -DskipTests && java -cp target/pgha-agent.jar bench/EtcdBench.java [runs]
 */
public class EtcdBench {
    static final Path HOME = Path.of("").toAbsolutePath();
    static final LabPlan PLAN = LabPlan.standard(3, 1, LabPlan.Os.LOCAL, 1);
    /** History to pile up: 1000 writes of 100 kB to one key, about 100 MB unused after compaction. */
    static final int FILL_WRITES = 1000;

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        Map<String, List<Double>> figures = new LinkedHashMap<>();
        for (int run = 1; run <= runs; run++) {
            System.err.printf("== run %d of %d%n", run, runs);
            try {
                // Into a map of its own: a run that fails midway adds nothing to the medians.
                Map<String, List<Double>> one = new LinkedHashMap<>();
                new EtcdBench().run(one);
                one.forEach((k, v) -> figures.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
            } catch (Exception e) {
                System.err.println("run failed: " + e);
                figures.computeIfAbsent("runs that did not finish", k -> new ArrayList<>()).add(1.0);
            } finally {
                ctl(Duration.ofMinutes(3), "lab", "down");
            }
            print(figures);
        }
        System.out.printf("%npgha-agent etcd bench, %d runs, %s, %d cores, Debian 12 packages (etcd 3.4)%n", runs,
                java.time.LocalDate.now(), Runtime.getRuntime().availableProcessors());
        print(figures);
    }

    void run(Map<String, List<Double>> out) throws Exception {
        String up = ctl(Duration.ofMinutes(6), "lab", "up", "--sync", "--spare", "1");
        if (!up.contains("cluster healthy")) {
            throw new IllegalStateException("lab up did not finish:\n" + up);
        }
        String password = ctl(Duration.ofMinutes(1), "get", "secret", "superuser").strip();
        String lb = PLAN.hostsWith(Role.LB).get(0).address();
        try (Connection c = new PostgresProbe("postgres", password, 5, PLAN.adminTls().ca()).connect(lb, 5000);
             Statement s = c.createStatement()) {
            s.execute("create table drill (id bigint primary key, note text)");
        }
        WriteLog log = new WriteLog();
        LabWriter writer = new LabWriter(lb, 5000, password, 1, 20, TimeUnit.MINUTES.toMillis(10), log::add);
        Thread t = new Thread(writer, "writer");
        t.setDaemon(true);
        t.start();
        try (EtcdDcs dcs = new EtcdDcs(PLAN.cluster(), PLAN.clientUrls(), Duration.ofSeconds(10), PLAN.adminTls())) {
            await(Duration.ofSeconds(60), () -> log.acksAfter(0) >= 20);
            defragmentation(dcs, log, out);
            replacement(dcs, log, out);
        } finally {
            writer.stop();
        }
    }

    /** The agents' defragmentation of about 100 MB unused on each member: how long each took, the writes' gap. */
    void defragmentation(EtcdDcs dcs, WriteLog log, Map<String, List<Double>> out) throws Exception {
        String value = "x".repeat(100_000);
        long fillStart = System.currentTimeMillis();
        for (int i = 0; i < FILL_WRITES; i++) {
            dcs.put("/bench/fill", value + i, 0);
        }
        long fillEnd = System.currentTimeMillis();
        dcs.delete("/bench/fill");
        dcs.admin().compact();
        long t0 = System.currentTimeMillis();
        add(out, "compaction of that history, pghactl-side wall time (ms)", t0 - fillEnd);
        // The raft leader's agent looks at the next pass (every 30 s).
        await(Duration.ofSeconds(120), () -> defrags(dcs).size() >= 3);
        List<io.pgha.model.EtcdReport.Defrag> done = defrags(dcs);
        long first = done.stream().mapToLong(io.pgha.model.EtcdReport.Defrag::start).min().orElseThrow();
        long last = done.stream().mapToLong(io.pgha.model.EtcdReport.Defrag::end).max().orElseThrow();
        for (var d : done) {
            add(out, "defragmentation of one member, ~100 MB unused (ms)", d.end() - d.start());
            add(out, "database file before -> after (MB)", d.beforeBytes() / 1e6);
        }
        add(out, "compaction -> all 3 members defragmented (s)", (last - t0) / 1000.0);
        await(Duration.ofSeconds(60), () -> log.acksAfter(last + 1000) >= 20);
        add(out, "defragmentation: longest write gap via lb (ms)", log.longestGap(first - 1000, last + 1000));
        // The fill itself (100 MB through every member's WAL, on the one disk all lab hosts share) is measured too.
        add(out, "longest write gap via lb while the bench wrote 100 MB into etcd (ms)", log.longestGap(fillStart,
                fillEnd));
        add(out, "longest write gap via lb while etcd compacted it (ms)", log.longestGap(fillEnd, t0 + 1000));
    }

    /** A dead member replaced through pghactl: from the apply to spare1 voting and etcd3 gone; the writes' gap. */
    void replacement(EtcdDcs dcs, WriteLog log, Map<String, List<Double>> out) throws Exception {
        ctl(Duration.ofMinutes(1), "lab", "kill", "etcd3");
        List<LabPlan.Host> hosts = PLAN.hosts().stream().filter(h -> !h.name().equals("etcd3"))
                .map(h -> h.name().equals("spare1") ? new LabPlan.Host(h.name(), h.address(), EnumSet.of(Role.ETCD))
                        : h).toList();
        Path spec = Files.createTempFile("etcd-bench", ".yml");
        Files.writeString(spec, PLAN.withHosts(hosts).specText(LabPlan.RECOMMENDED_TIMERS, true,
                Map.of("max_connections", "100")));
        long t0 = System.currentTimeMillis();
        String applied = ctl(Duration.ofMinutes(1), "apply", "-f", spec.toString());
        long appliedAt = System.currentTimeMillis();
        Files.delete(spec);
        if (!applied.contains("adds etcd member spare1, removes etcd member etcd3")) {
            throw new IllegalStateException("apply did not announce the replacement:\n" + applied);
        }
        await(Duration.ofSeconds(120), () -> {
            List<EtcdMember> m = members(dcs);
            return m.size() == 3 && m.stream().noneMatch(EtcdMember::learner)
                    && m.stream().map(EtcdMember::name).sorted().toList().equals(List.of("etcd1", "etcd2", "spare1"));
        });
        long done = System.currentTimeMillis();
        add(out, "pghactl apply (replacement) wall time (s)", (appliedAt - t0) / 1000.0);
        add(out, "replace a dead member: apply -> spare1 votes, etcd3 gone (s)", (done - t0) / 1000.0);
        await(Duration.ofSeconds(60), () -> log.acksAfter(done + 1000) >= 20);
        add(out, "replacement: longest write gap via lb (ms)", log.longestGap(t0, done + 1000));
    }

    static List<io.pgha.model.EtcdReport.Defrag> defrags(EtcdDcs dcs) {
        List<io.pgha.model.EtcdReport.Defrag> all = new ArrayList<>();
        try {
            for (HostStatus s : dcs.hostStatuses().readable().values()) {
                all.addAll(s.etcd().defragmentations());
            }
        } catch (DcsException e) {
            // etcd busy: asked again
        }
        return all;
    }

    static List<EtcdMember> members(EtcdDcs dcs) {
        try {
            return dcs.admin().members();
        } catch (DcsException e) {
            return List.of();
        }
    }

    /** pghactl as a user runs it; its output, or an exception with it when it fails. */
    static String ctl(Duration limit, String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of(HOME.resolve("daemon/pghactl").toString()));
        argv.addAll(List.of(args));
        Path output = Files.createTempFile("etcd-bench", ".out");
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("pghactl " + String.join(" ", args) + " took over " + limit);
        }
        String text = Files.readString(output);
        Files.delete(output);
        if (p.exitValue() != 0 && !args[0].equals("lab")) {
            throw new IllegalStateException("pghactl " + String.join(" ", args) + ": exit " + p.exitValue() + "\n"
                    + text);
        }
        return text;
    }

    static void await(Duration timeout, Supplier<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not within " + timeout);
            }
            Thread.sleep(200);
        }
    }

    static void add(Map<String, List<Double>> out, String metric, double value) {
        out.computeIfAbsent(metric, k -> new ArrayList<>()).add(value);
    }

    static void print(Map<String, List<Double>> figures) {
        StringBuilder sb = new StringBuilder(String.format("| %-62s | %-28s |%n", "median (min-max)", "n runs"));
        sb.append("|").append("-".repeat(64)).append("|").append("-".repeat(30)).append("|\n");
        figures.forEach((metric, values) -> sb.append(String.format("| %-62s | %-28s |%n", metric,
                metric.startsWith("runs that") ? Integer.toString(values.size()) : describe(values))));
        System.err.print(sb);
        System.out.print(sb);
        System.out.flush();
    }

    static String describe(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        double median = sorted.size() % 2 == 1 ? sorted.get(sorted.size() / 2)
                : (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2;
        return String.format("%.2f (%.2f-%.2f) n=%d", median, sorted.get(0), sorted.get(sorted.size() - 1),
                sorted.size());
    }
}
