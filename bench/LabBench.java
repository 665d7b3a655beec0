import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.pgha.dcs.EtcdDcs;
import io.pgha.dcs.Versioned;
import io.pgha.lab.Lab;
import io.pgha.lab.LabNetwork;
import io.pgha.lab.LabPlan;
import io.pgha.lab.LabWriter;
import io.pgha.lab.WriteLog;
import io.pgha.model.HostStatus;
import io.pgha.model.Role;
import io.pgha.postgres.PatroniClient;
import io.pgha.probe.EtcdHealth;
import io.pgha.probe.PostgresProbe;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Drives the seven-host lab and prints a table of medians over several runs, per Patroni configuration.
 * Run from the repository root, as root, with no lab up:
 *   mvn -q -B package -DskipTests && java -cp target/pgha-agent.jar bench/LabBench.java [runs [--idle-only] [config-word...]]
 */
public class LabBench {
    static final Path HOME = Path.of("").toAbsolutePath();
    static final long WRITE_EVERY_MS = 20;

    record Config(String name, LabPlan.Timers timers, boolean synchronous) {
    }

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        // Further arguments pick configurations by a word of their name ("guide", "async", "synchronous");
        // --idle-only measures the agents' own load over 5 minutes and skips the drills.
        List<String> only = new ArrayList<>(List.of(args).subList(Math.min(1, args.length), args.length));
        boolean idleOnly = only.remove("--idle-only");
        List<Config> all = List.of(
                new Config("guide timers (30/10/10), async", LabPlan.GUIDE_TIMERS, false),
                new Config("recommended (15/2/4), async", LabPlan.RECOMMENDED_TIMERS, false),
                new Config("recommended (15/2/4), synchronous", LabPlan.RECOMMENDED_TIMERS, true));
        List<Config> configs = all.stream().filter(c -> only.isEmpty() || only.stream().anyMatch(c.name()::contains))
                .toList();
        Map<String, Map<String, List<Double>>> results = new LinkedHashMap<>();
        for (Config config : configs) {
            Map<String, List<Double>> figures = new LinkedHashMap<>();
            results.put(config.name(), figures);
            for (int run = 1; run <= runs; run++) {
                System.err.printf("== %s, run %d of %d%n", config.name(), run, runs);
                try {
                    new LabBench(idleOnly).run(config, figures);
                } catch (Exception e) {
                    // A run that does not finish is a finding, not a reason to stop measuring.
                    System.err.println("run failed: " + e.getMessage());
                    add(figures, "runs that did not finish", 1);
                }
                print(results, runs);
            }
        }
        System.out.println();
        System.out.printf("pgha-agent lab bench, %d runs per configuration, %s, %d cores%n", runs,
                java.time.LocalDate.now(), Runtime.getRuntime().availableProcessors());
        print(results, runs);
    }

    static void print(Map<String, Map<String, List<Double>>> results, int runs) {
        List<String> metrics = new ArrayList<>();
        results.values().forEach(m -> m.keySet().stream().filter(k -> !metrics.contains(k)).forEach(metrics::add));
        List<String> configs = new ArrayList<>(results.keySet());
        StringBuilder sb = new StringBuilder(String.format("| %-52s |", "median (min-max)"));
        configs.forEach(c -> sb.append(String.format(" %-34s |", c)));
        sb.append('\n').append("|").append("-".repeat(54)).append("|");
        configs.forEach(c -> sb.append("-".repeat(36)).append("|"));
        sb.append('\n');
        for (String metric : metrics) {
            sb.append(String.format("| %-52s |", metric));
            for (String c : configs) {
                List<Double> v = results.get(c).getOrDefault(metric, List.of());
                sb.append(String.format(" %-34s |", describe(v)));
            }
            sb.append('\n');
        }
        System.err.print(sb);
        System.out.print(sb);
        System.out.flush();
    }

    static String describe(List<Double> values) {
        if (values.isEmpty()) {
            return "-";
        }
        List<Double> sorted = values.stream().sorted().toList();
        double median = sorted.size() % 2 == 1 ? sorted.get(sorted.size() / 2)
                : (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2;
        return String.format("%s (%s-%s) n=%d", fmt(median), fmt(sorted.get(0)), fmt(sorted.get(sorted.size() - 1)),
                sorted.size());
    }

    static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e6 ? String.valueOf((long) d) : String.format("%.2f", d);
    }

    final boolean idleOnly;
    LabPlan plan = LabPlan.standard(3, 1);
    Lab lab = new Lab(plan, HOME.resolve("daemon/pgha-agent"));
    LabNetwork network;
    PostgresProbe pg;
    String password;

    LabBench(boolean idleOnly) {
        this.idleOnly = idleOnly;
    }

    void run(Config config, Map<String, List<Double>> out) throws Exception {
        if (lab.exists()) {
            throw new IllegalStateException("a lab is up: pghactl lab down first");
        }
        lab.create(30);
        network = lab.network().orElseThrow();
        try {
            long t0 = System.nanoTime();
            for (LabPlan.Host h : plan.hosts()) {
                lab.start(h);
            }
            EtcdHealth etcd = new EtcdHealth(Duration.ofSeconds(2));
            for (String url : plan.clientUrls()) {
                await(Duration.ofSeconds(120), () -> etcd.probe(url).healthy());
            }
            Path spec = plan.baseDir().resolve("cluster.yml");
            Files.writeString(spec, plan.specText(config.timers(), config.synchronous(), Map.of("work_mem", "4MB")));
            ctl("apply", "-f", spec.toString());
            password = ctl("get", "secret", "superuser").strip();
            pg = new PostgresProbe("postgres", password, 2);
            await(Duration.ofSeconds(300), () -> allConverged(0) && writableViaLb());
            add(out, "agents started -> healthy, writes via lb (s)", (System.nanoTime() - t0) / 1e9);
            try (Connection c = pg.connect(lb(), 5000); Statement s = c.createStatement()) {
                s.execute("create table drill (id bigint primary key, note text)");
            }

            idle(out);
            if (idleOnly) {
                return;
            }

            Files.writeString(spec, plan.specText(config.timers(), config.synchronous(), Map.of("work_mem", "8MB")));
            long before = System.nanoTime();
            long rev = Long.parseLong(ctl("apply", "-f", spec.toString()).replaceAll("(?s).*revision (\\d+).*", "$1"));
            await(Duration.ofSeconds(120), () -> allConverged(rev));
            add(out, "spec change -> all 7 agents report it applied (s)", (System.nanoTime() - before) / 1e9);

            switchover(out);
            // As an operator would: the next drill starts from a converged cluster (in synchronous mode that
            // includes a chosen synchronous standby, without which Patroni promotes nobody).
            await(Duration.ofSeconds(180), () -> allConverged(0));
            crash(out);
            partition(out);
        } finally {
            lab.destroy();
        }
    }

    void idle(Map<String, List<Double>> out) throws Exception {
        Thread.sleep(5000);
        List<Long> agents = plan.hosts().stream().map(h -> lab.agent(h).orElseThrow().pid()).toList();
        long rss = agents.stream().mapToLong(LabBench::rssKb).sum();
        long cpu0 = agents.stream().mapToLong(LabBench::cpuTicks).sum();
        AtomicLong agentWrites = new AtomicLong();
        AtomicLong allWrites = new AtomicLong();
        long seconds = idleOnly ? 300 : 30;
        try (Client client = Client.builder().endpoints(plan.clientUrls().toArray(String[]::new)).build();
             Watch.Watcher pgha = client.getWatchClient().watch(bytes("/pgha/"), WatchOption.builder().isPrefix(true).build(),
                     r -> agentWrites.addAndGet(r.getEvents().size()));
             Watch.Watcher all = client.getWatchClient().watch(bytes("/"), WatchOption.builder().isPrefix(true).build(),
                     r -> allWrites.addAndGet(r.getEvents().size()))) {
            Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
        }
        long cpu1 = agents.stream().mapToLong(LabBench::cpuTicks).sum();
        add(out, "agent RSS at idle, per agent (MiB)", rss / 1024.0 / agents.size());
        add(out, "agent CPU at idle, per agent (% of a core)", (cpu1 - cpu0) / 100.0 / seconds * 100 / agents.size());
        add(out, "etcd writes/s by the 7 agents at idle", agentWrites.get() / (double) seconds);
        add(out, "etcd writes/s by everything at idle (Patroni too)", allWrites.get() / (double) seconds);
    }

    void switchover(Map<String, List<Double>> out) throws Exception {
        WriteLog log = new WriteLog();
        LabWriter writer = writer(log, 1_000_000);
        try {
            awaitAcks(log, 0, 25);
            String leader = leader();
            String target = PatroniClient.takeoverCandidates(new PatroniClient(address(leader), 8008,
                    Duration.ofSeconds(5)).cluster()).get(0).name();
            long t0 = System.currentTimeMillis();
            new PatroniClient(address(leader), 8008, Duration.ofSeconds(30)).switchover(leader, target);
            awaitAcks(log, t0, 25);
            add(out, "planned switchover: longest write gap via lb (s)", log.longestGap(t0, System.currentTimeMillis()) / 1000.0);
        } finally {
            writer.stop();
        }
    }

    void crash(Map<String, List<Double>> out) throws Exception {
        WriteLog log = new WriteLog();
        LabWriter writer = writer(log, 2_000_000);
        String old = leader();
        try {
            awaitAcks(log, 0, 25);
            long t0 = System.currentTimeMillis();
            for (long pid : network.pids(plan.host(old))) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
            awaitAcks(log, t0, 25);
            add(out, "host crash (kill -9 of everything): write gap (s)", log.longestGap(t0, System.currentTimeMillis()) / 1000.0);
        } finally {
            writer.stop();
        }
        add(out, "host crash: acknowledged writes lost", lost(log));
        lab.start(plan.host(old));
        await(Duration.ofSeconds(240), () -> allConverged(0));
    }

    void partition(Map<String, List<Double>> out) throws Exception {
        WriteLog viaLb = new WriteLog();
        WriteLog direct = new WriteLog();
        LabWriter writer = writer(viaLb, 3_000_000);
        String isolated = leader();
        Process inside = insideWriter(isolated, direct, 4_000_000);
        try {
            awaitAcks(viaLb, 0, 25);
            awaitAcks(direct, 0, 5);
            long t0 = System.currentTimeMillis();
            network.cut(plan.host(isolated));
            awaitAcks(viaLb, t0, 25);
            await(Duration.ofSeconds(90), () -> direct.acksAfter(System.currentTimeMillis() - 3000) == 0);
            add(out, "partition of the primary: write gap via lb (s)", viaLb.longestGap(t0, System.currentTimeMillis()) / 1000.0);
            add(out, "partition: writes acked by the isolated primary after the cut", direct.acksAfter(t0));
            network.heal(plan.host(isolated));
            await(Duration.ofSeconds(240), () -> allConverged(0));
        } finally {
            writer.stop();
            inside.destroy();
            inside.waitFor(10, TimeUnit.SECONDS);
        }
        add(out, "partition: acknowledged writes lost (via lb + direct)", lost(viaLb) + lost(direct));
    }

    /** Acknowledged rows missing on the current leader. */
    double lost(WriteLog log) throws Exception {
        Set<Long> acked = log.acked();
        if (acked.isEmpty()) {
            return 0;
        }
        await(Duration.ofSeconds(120), () -> {
            try {
                return leader() != null;
            } catch (Exception e) {
                return false;
            }
        });
        Set<Long> present = new TreeSet<>();
        try (Connection c = pg.connect(address(leader()), 5432); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select id from drill where id between " + ((TreeSet<Long>) acked).first()
                     + " and " + ((TreeSet<Long>) acked).last())) {
            while (rs.next()) {
                present.add(rs.getLong(1));
            }
        }
        return acked.stream().filter(id -> !present.contains(id)).count();
    }

    LabWriter writer(WriteLog log, long firstId) {
        LabWriter w = new LabWriter(lb(), 5000, password, firstId, WRITE_EVERY_MS, TimeUnit.MINUTES.toMillis(6), log::add);
        Thread t = new Thread(w);
        t.setDaemon(true);
        t.start();
        return w;
    }

    Process insideWriter(String host, WriteLog log, long firstId) throws Exception {
        return LabWriter.startInside(network, plan.host(host), HOME.resolve("target/pgha-agent.jar"), password, firstId,
                WRITE_EVERY_MS, TimeUnit.MINUTES.toMillis(6), log::add);
    }

    boolean allConverged(long revision) {
        try (EtcdDcs dcs = new EtcdDcs(plan.cluster(), plan.clientUrls(), Duration.ofSeconds(3))) {
            long want = revision > 0 ? revision : dcs.spec().map(Versioned::modRevision).orElse(-1L);
            Map<String, String> statuses = dcs.hostStatuses();
            if (statuses.size() != plan.hosts().size()) {
                return false;
            }
            for (String text : statuses.values()) {
                HostStatus s = HostStatus.fromJson(text);
                if (!s.converged() || s.specRevision() < want) {
                    return false;
                }
            }
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    boolean writableViaLb() {
        try (Connection c = pg.connect(lb(), 5000); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select pg_is_in_recovery()")) {
            rs.next();
            return !rs.getBoolean(1);
        } catch (Exception e) {
            return false;
        }
    }

    String leader() throws Exception {
        for (String h : data()) {
            try {
                Optional<PatroniClient.ClusterMember> l = new PatroniClient(address(h), 8008, Duration.ofSeconds(2)).leader();
                if (l.isPresent()) {
                    return l.get().name();
                }
            } catch (java.io.IOException e) {
                // next
            }
        }
        return null;
    }

    void awaitAcks(WriteLog log, long after, int count) throws Exception {
        await(Duration.ofSeconds(180), () -> log.acksAfter(after) >= count);
    }

    void await(Duration timeout, Supplier<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("condition not met within " + timeout.toSeconds() + " s; hosts:"
                        + statusSummary());
            }
            Thread.sleep(100);
        }
    }

    String statusSummary() {
        StringBuilder sb = new StringBuilder();
        try (EtcdDcs dcs = new EtcdDcs(plan.cluster(), plan.clientUrls(), Duration.ofSeconds(3))) {
            for (String text : dcs.hostStatuses().values()) {
                HostStatus s = HostStatus.fromJson(text);
                sb.append("\n  ").append(s.host()).append(" converged=").append(s.converged())
                        .append(" problems=").append(s.problems()).append(" error=").append(s.lastError());
            }
            for (String h : data()) {
                Path log = plan.root(plan.host(h)).resolve("var/log/pgha-agent/patroni.log");
                List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
                sb.append("\n  --- ").append(h).append(" patroni.log tail\n  ").append(String.join("\n  ",
                        lines.subList(Math.max(0, lines.size() - 8), lines.size())));
            }
        } catch (Exception e) {
            sb.append(" (").append(e.getMessage()).append(")");
        }
        return sb.toString();
    }

    String ctl(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of(HOME.resolve("daemon/pghactl").toString(), "--config",
                plan.agentYml(plan.hosts().get(0)).toString()));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(false).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("pghactl " + String.join(" ", args) + " failed: " + text);
        }
        return text;
    }

    List<String> data() {
        return plan.hostsWith(Role.DATA).stream().map(LabPlan.Host::name).toList();
    }

    String address(String host) {
        return plan.host(host).address();
    }

    String lb() {
        return plan.hostsWith(Role.LB).get(0).address();
    }

    static void add(Map<String, List<Double>> out, String metric, double value) {
        out.computeIfAbsent(metric, k -> new ArrayList<>()).add(value);
    }

    static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    static long rssKb(long pid) {
        try {
            return Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
                    .filter(l -> l.startsWith("VmRSS:")).map(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst()
                    .orElse(0L);
        } catch (Exception e) {
            return 0;
        }
    }

    /** utime + stime of a process, in clock ticks (100 per second here). */
    static long cpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (Exception e) {
            return 0;
        }
    }
}
