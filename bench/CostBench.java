import io.pgha.dcs.EtcdDcs;
import io.pgha.lab.Lab;
import io.pgha.lab.LabCtl;
import io.pgha.lab.LabPlan;
import io.pgha.lab.LabStatuses;
import io.pgha.lab.LabWriter;
import io.pgha.lab.ProcessUsage;
import io.pgha.lab.WriteLog;
import io.pgha.model.Role;
import io.pgha.postgres.PatroniClient;
import io.pgha.postgres.PostgresProbe;
import io.pgha.probe.EtcdHealth;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What the agent costs and how fast it acts, on the seven-host lab as a user meets it: bootstrap from agents started
 * to a write through the lb (with a timeline of where the time goes), the idle memory and CPU of every program, what
 * the agents' probes cost etcd, a reloadable parameter change from the etcd put to every agent's status and to SHOW,
 * pghactl's own wall time, and a planned switchover through `pghactl switchover`. Each run builds a fresh lab; the
 * idle figures come from the first run only (one window of {@code idle-seconds} with the agents running, then 60 s
 * with them stopped). A run that fails counts in its own row; its figures stay out of the medians.
 * Run from the repository root, as root, with no lab up:
 *   mvn -q -B package -DskipTests && java -cp target/pgha-agent.jar bench/CostBench.java [runs [idle-seconds]]
 * On booted Debian 13 or 14 machines (the newest .deb of target/deb, packaging/deb/build-deb; the image built by
 * daemon/pghactl lab image --os trixie|forky), --os first:
 *   java -cp target/pgha-agent.jar bench/CostBench.java --os trixie [runs [idle-seconds]]
 * The agent on each Java runtime ({@link JavaRuntimes}): after packaging/deb/build-deb and with the Debian 13 image
 * built (daemon/pghactl lab image --os trixie, for its Java 21),
 *   java -cp target/pgha-agent.jar bench/CostBench.java --java [runs [idle-seconds]]
 */
public class CostBench {
    static final Path HOME = Path.of("").toAbsolutePath();
    static final DateTimeFormatter LOG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");
    static final int CHANGES = 5;
    static final int CTL_RUNS = 5;

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--java")) {
            JavaRuntimes.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        LabPlan.Os os = LabPlan.Os.LOCAL;
        if (args.length > 1 && args[0].equals("--os")) {
            String name = args[1];
            os = LabPlan.Os.named(name).orElseThrow(() -> new IllegalArgumentException("--os: expected trixie or"
                    + " forky, found " + name));
            args = java.util.Arrays.copyOfRange(args, 2, args.length);
        }
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int idleSeconds = args.length > 1 ? Integer.parseInt(args[1]) : 300;
        Map<String, List<Double>> figures = new LinkedHashMap<>();
        int failed = 0;
        for (int run = 1; run <= runs; run++) {
            System.err.printf("== run %d of %d%n", run, runs);
            Map<String, List<Double>> one = new LinkedHashMap<>();
            try {
                new CostBench(os).run(run == 1 ? idleSeconds : 0, one);
                one.forEach((k, v) -> figures.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
            } catch (Exception e) {
                failed++;
                System.err.println("run failed: " + e);
            }
            print(figures, failed);
        }
        System.out.printf("%npgha-agent cost bench (%s), %d runs, %s, %d cores, %s%n", os, runs,
                java.time.LocalDate.now(), Runtime.getRuntime().availableProcessors(), git("rev-parse", "--short",
                "HEAD"));
        print(figures, failed);
    }

    final LabPlan plan;
    final Lab lab;
    PostgresProbe pg;
    String password;

    CostBench(LabPlan.Os os) throws java.io.IOException {
        plan = LabPlan.standard(3, 1, os);
        lab = new Lab(plan, os.booted() ? newestDeb() : HOME.resolve("daemon/pgha-agent"));
    }

    static Path newestDeb() throws java.io.IOException {
        try (var debs = Files.list(HOME.resolve("target/deb"))) {
            return debs.filter(f -> f.toString().endsWith("_all.deb")).max(java.util.Comparator.comparing(
                    f -> f.toFile().lastModified())).orElseThrow(() -> new IllegalStateException("no .deb in"
                    + " target/deb: packaging/deb/build-deb makes one"));
        }
    }

    void run(int idleSeconds, Map<String, List<Double>> out) throws Exception {
        if (lab.exists()) {
            throw new IllegalStateException("a lab is up: pghactl lab down first");
        }
        lab.create(30);
        try {
            bootstrap(out);
            if (idleSeconds > 0) {
                idle(idleSeconds, out);
            }
            specChanges(out);
            commands(out);
            switchover(out);
        } finally {
            lab.destroy();
        }
    }

    /** Agents started -> leader + 2 streaming replicas + a write through the lb; the steps on the way. */
    void bootstrap(Map<String, List<Double>> out) throws Exception {
        long t0 = System.currentTimeMillis();
        // Booted machines boot as lab up boots them (several at once); agents in namespaces start one by one.
        lab.startAll(plan.hosts());
        Map<String, Long> seen = new TreeMap<>();
        EtcdHealth etcd = new EtcdHealth(Duration.ofSeconds(2), plan.adminTls().sslContext());
        await(Duration.ofSeconds(120), () -> plan.clientUrls().stream().allMatch(u -> etcd.probe(u).healthy()),
                "etcd healthy");
        mark(seen, "etcd: all 3 members healthy", t0);
        Path spec = plan.baseDir().resolve("cluster.yml");
        Files.writeString(spec, spec(4));
        ctl("apply", "-f", spec.toString());
        mark(seen, "spec applied (pghactl apply returned)", t0);
        password = ctl("get", "secret", "superuser").strip();
        pg = new PostgresProbe("postgres", password, 2, plan.adminTls().ca());
        await(Duration.ofSeconds(300), () -> {
            for (String h : data()) {
                if (!seen.containsKey("patroni answers on " + h) && patroniAnswers(h)) {
                    mark(seen, "patroni answers on " + h, t0);
                }
            }
            Optional<String> leader = leader();
            if (leader.isEmpty()) {
                return false;
            }
            if (!seen.containsKey("leader elected")) {
                mark(seen, "leader elected", t0);
            }
            int streaming = streamingReplicas(leader.get());
            for (int i = 1; i <= streaming; i++) {
                if (!seen.containsKey("replica " + i + " streaming")) {
                    mark(seen, "replica " + i + " streaming", t0);
                }
            }
            boolean wrote = writeViaLb();
            if (wrote && !seen.containsKey("a write through the lb")) {
                mark(seen, "a write through the lb", t0);
            }
            return wrote && streaming == 2;
        }, "leader, 2 streaming replicas and a write through the lb");
        add(out, "bootstrap: agents started -> leader + 2 streaming + a write via lb (s)",
                (System.currentTimeMillis() - t0) / 1000.0);
        agentLogSteps(seen, t0);
        seen.forEach((step, at) -> add(out, "bootstrap step: " + step + " (s)", at / 1000.0));
        await(Duration.ofSeconds(120), () -> allConverged(0), "every agent converged");
    }

    /** When each agent first logged a step of its own (the agents' log clocks are this machine's). */
    void agentLogSteps(Map<String, Long> seen, long t0) {
        Map<String, String> steps = new LinkedHashMap<>();
        steps.put(" received", "spec seen by the agent");
        steps.put("fsync p99", "fsync probe result");
        steps.put("started pid", "first program started");
        steps.put("converge of spec rev", "first converge pass done");
        for (LabPlan.Host h : plan.hosts()) {
            List<String> lines;
            try {
                lines = plan.os().booted() ? List.of() : Files.readAllLines(plan.baseDir().resolve(h.name())
                        .resolve("agent.log"));
            } catch (Exception e) {
                continue;
            }
            String kind = h.roles().iterator().next().id();
            for (Map.Entry<String, String> step : steps.entrySet()) {
                lines.stream().filter(l -> l.contains(step.getKey()) && l.length() > 23).findFirst().ifPresent(l -> {
                    long at = LocalDateTime.parse(l.substring(0, 23), LOG_TIME).atZone(ZoneId.systemDefault())
                            .toInstant().toEpochMilli() - t0;
                    seen.merge(kind + " agents: " + step.getValue() + " (last host)", at, Math::max);
                });
            }
        }
    }

    /**
     * Memory and CPU of every program at idle over one window; then the etcd members' CPU again with the agents
     * stopped (SIGSTOP), for what the agents cost etcd.
     */
    void idle(int seconds, Map<String, List<Double>> out) throws Exception {
        Thread.sleep(10_000);
        Map<String, List<Long>> pids = new LinkedHashMap<>();
        for (LabPlan.Host h : plan.hosts()) {
            pids.computeIfAbsent("pgha-agent", k -> new ArrayList<>()).add(lab.agent(h).orElseThrow().pid());
            for (String program : List.of("etcd", "patroni", "haproxy")) {
                lab.programPid(h, program).ifPresent(p -> pids.computeIfAbsent(program, k -> new ArrayList<>()).add(p));
            }
        }
        Map<String, List<Long>> before = ticks(pids);
        List<Long> postgresTicks = new ArrayList<>();
        for (String h : data()) {
            postgresTicks.add(treeTicks(postmasterPid(h)));
        }
        Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
        Map<String, List<Long>> after = ticks(pids);
        pids.forEach((program, list) -> {
            for (int i = 0; i < list.size(); i++) {
                add(out, "idle RSS: " + program + " (MiB)", ProcessUsage.rssKb(list.get(i)) / 1024.0);
                add(out, "idle CPU over " + seconds + " s: " + program + " (% of a core)",
                        (after.get(program).get(i) - before.get(program).get(i)) / (double) seconds);
            }
        });
        List<String> hosts = data();
        for (int i = 0; i < hosts.size(); i++) {
            long postmaster = postmasterPid(hosts.get(i));
            add(out, "idle PSS: postgres, every process of one server (MiB)", treePssKb(postmaster) / 1024.0);
            add(out, "idle CPU over " + seconds + " s: postgres, every process of one server (% of a core)",
                    (treeTicks(postmaster) - postgresTicks.get(i)) / (double) seconds);
        }
        int stoppedSeconds = 60;
        List<Long> agents = pids.get("pgha-agent");
        signal("STOP", agents);
        Map<String, List<Long>> stopped0;
        Map<String, List<Long>> stopped1;
        try {
            stopped0 = ticks(Map.of("etcd", pids.get("etcd")));
            Thread.sleep(TimeUnit.SECONDS.toMillis(stoppedSeconds));
            stopped1 = ticks(Map.of("etcd", pids.get("etcd")));
        } finally {
            signal("CONT", agents);
        }
        for (int i = 0; i < pids.get("etcd").size(); i++) {
            double with = (after.get("etcd").get(i) - before.get("etcd").get(i)) / (double) seconds;
            double without = (stopped1.get("etcd").get(i) - stopped0.get("etcd").get(i)) / (double) stoppedSeconds;
            add(out, "idle CPU: etcd member with the agents stopped, " + stoppedSeconds + " s (% of a core)", without);
            add(out, "idle CPU: what the agents add to each etcd member (% of a core)", with - without);
        }
        await(Duration.ofSeconds(120), () -> allConverged(0), "every agent converged after the stop");
    }

    /**
     * A reloadable parameter (work_mem) changed by a put of the spec straight into etcd: until every agent reports
     * the revision applied, and until SHOW gives the new value on every data host. The put itself is what pghactl
     * apply does last; its wall time is measured apart.
     */
    void specChanges(Map<String, List<Double>> out) throws Exception {
        try (EtcdDcs dcs = new EtcdDcs(plan.cluster(), plan.clientUrls(), Duration.ofSeconds(3), plan.adminTls())) {
            for (int i = 1; i <= CHANGES; i++) {
                String value = (4 + i) + "MB";
                long current = dcs.spec().orElseThrow().modRevision();
                long t0 = System.nanoTime();
                long rev = dcs.applySpec(spec(4 + i), current);
                Double reported = null;
                Double shown = null;
                long deadline = t0 + TimeUnit.SECONDS.toNanos(60);
                while ((reported == null || shown == null) && System.nanoTime() < deadline) {
                    if (reported == null && allApplied(dcs, rev)) {
                        reported = (System.nanoTime() - t0) / 1e9;
                    }
                    if (shown == null && data().stream().allMatch(h -> show(h, "work_mem").equals(value))) {
                        shown = (System.nanoTime() - t0) / 1e9;
                    }
                    Thread.sleep(20);
                }
                if (reported == null || shown == null) {
                    throw new IllegalStateException("work_mem " + value + " not applied everywhere within 60 s");
                }
                add(out, "spec change: etcd put -> every agent reports it applied (s)", reported);
                add(out, "spec change: etcd put -> SHOW on every data host (s)", shown);
                await(Duration.ofSeconds(60), () -> allConverged(rev), "converged after the change");
            }
        }
    }

    /** pghactl's own wall time, JVM start included, as a user types it. */
    void commands(Map<String, List<Double>> out) throws Exception {
        Path spec = plan.baseDir().resolve("cluster.yml");
        Files.writeString(spec, spec(4 + CHANGES));
        for (int i = 0; i < CTL_RUNS; i++) {
            for (List<String> argv : List.of(List.of("validate", "-f", spec.toString()), List.of("get", "spec"),
                    List.of("status"), List.of("apply", "-f", spec.toString()))) {
                long t0 = System.nanoTime();
                ctl(argv.toArray(String[]::new));
                add(out, "pghactl " + argv.get(0) + " wall time (s)", (System.nanoTime() - t0) / 1e9);
            }
        }
    }

    /** `pghactl switchover` under a writer through the lb: the longest time without an acknowledged write. */
    void switchover(Map<String, List<Double>> out) throws Exception {
        try (Connection c = pg.connect(lb(), 5000); Statement s = c.createStatement()) {
            s.execute("create table if not exists drill (id bigint primary key, note text)");
        }
        WriteLog log = new WriteLog();
        LabWriter writer = new LabWriter(lb(), 5000, password, 1_000_000, 20, TimeUnit.MINUTES.toMillis(3), log::add);
        Thread t = new Thread(writer);
        t.setDaemon(true);
        t.start();
        try {
            await(Duration.ofSeconds(60), () -> log.acksAfter(0) >= 25, "writes before the switchover");
            long t0 = System.currentTimeMillis();
            ctl(Duration.ofSeconds(120), "switchover");
            await(Duration.ofSeconds(120), () -> log.acksAfter(t0) >= 25 && log.lastAck().orElse(0L) > t0 + 2000,
                    "writes after the switchover");
            add(out, "pghactl switchover: longest write gap via lb (s)",
                    log.longestGap(t0, System.currentTimeMillis()) / 1000.0);
        } finally {
            writer.stop();
        }
    }

    String spec(int workMemMb) {
        return plan.specText(LabPlan.RECOMMENDED_TIMERS, false, Map.of("work_mem", workMemMb + "MB"));
    }

    boolean allApplied(EtcdDcs dcs, long revision) {
        try {
            return LabStatuses.every(dcs, plan, s -> s.specRevision() >= revision && s.applied());
        } catch (Exception e) {
            return false;
        }
    }

    boolean allConverged(long revision) {
        return LabStatuses.allConverged(plan, revision);
    }

    String show(String host, String parameter) {
        try {
            return pg.show(plan.host(host).address(), 5432, parameter);
        } catch (Exception e) {
            return "";
        }
    }

    boolean patroniAnswers(String host) {
        try {
            patroni(host).cluster();
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    Optional<String> leader() {
        for (String h : data()) {
            try {
                Optional<PatroniClient.ClusterMember> l = patroni(h).leader();
                if (l.isPresent() && l.get().state().equals("running")) {
                    return Optional.of(l.get().name());
                }
            } catch (Exception e) {
                // ask the next one
            }
        }
        return Optional.empty();
    }

    PatroniClient patroni(String host) throws Exception {
        return new PatroniClient(plan.host(host).address(), 8008, Duration.ofSeconds(2),
                plan.adminTls().sslContext(), "");
    }

    int streamingReplicas(String leader) {
        try (Connection c = pg.connect(plan.host(leader).address(), 5432); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select count(*) from pg_stat_replication where state = 'streaming'")) {
            rs.next();
            return rs.getInt(1);
        } catch (Exception e) {
            return 0;
        }
    }

    boolean writeViaLb() {
        try (Connection c = pg.connect(lb(), 5000); Statement s = c.createStatement()) {
            s.execute("create table if not exists boot_probe (at timestamptz)");
            s.execute("insert into boot_probe values (now())");
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    /** As this machine sees it (a booted machine has pids of its own). */
    long postmasterPid(String host) throws Exception {
        return lab.postmasterPid(plan.host(host)).orElseThrow(() -> new IllegalStateException("no postmaster on "
                + host));
    }

    List<String> data() {
        return plan.hostsWith(Role.DATA).stream().map(LabPlan.Host::name).toList();
    }

    String lb() {
        return plan.hostsWith(Role.LB).get(0).address();
    }

    String ctl(String... args) throws Exception {
        return ctl(Duration.ofSeconds(60), args);
    }

    String ctl(Duration limit, String... args) throws Exception {
        return LabCtl.run(HOME.resolve("daemon/pghactl"), plan, limit, args);
    }

    static void mark(Map<String, Long> seen, String step, long t0) {
        seen.putIfAbsent(step, System.currentTimeMillis() - t0);
    }

    static void await(Duration timeout, Supplier<Boolean> condition, String what) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + ": not within " + timeout.toSeconds() + " s");
            }
            Thread.sleep(50);
        }
    }

    static void signal(String signal, List<Long> pids) throws Exception {
        List<String> argv = new ArrayList<>(List.of("kill", "-" + signal));
        pids.forEach(p -> argv.add(Long.toString(p)));
        new ProcessBuilder(argv).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
    }

    static Map<String, List<Long>> ticks(Map<String, List<Long>> pids) {
        Map<String, List<Long>> out = new LinkedHashMap<>();
        pids.forEach((k, list) -> out.put(k, list.stream().map(ProcessUsage::cpuTicks).toList()));
        return out;
    }

    /** A process and its children (a postmaster's backends and workers). */
    static List<Long> tree(long pid) {
        List<Long> out = new ArrayList<>(List.of(pid));
        ProcessHandle.of(pid).ifPresent(p -> p.children().forEach(c -> out.add(c.pid())));
        return out;
    }

    static long treeTicks(long pid) {
        return tree(pid).stream().mapToLong(ProcessUsage::cpuTicks).sum();
    }

    /** Proportional set size: shared memory (shared_buffers) counted once across the processes that map it. */
    static long treePssKb(long pid) {
        return tree(pid).stream().mapToLong(ProcessUsage::pssKb).sum();
    }

    static void add(Map<String, List<Double>> out, String metric, double value) {
        out.computeIfAbsent(metric, k -> new ArrayList<>()).add(value);
    }

    static String git(String... args) {
        try {
            List<String> argv = new ArrayList<>(List.of("git"));
            argv.addAll(List.of(args));
            Process p = new ProcessBuilder(argv).start();
            return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        } catch (Exception e) {
            return "?";
        }
    }

    static void print(Map<String, List<Double>> figures, int failed) {
        StringBuilder sb = new StringBuilder(String.format("| %-78s | %-28s |%n", "median (min-max) n", ""));
        sb.append("|").append("-".repeat(80)).append("|").append("-".repeat(30)).append("|\n");
        figures.forEach((metric, values) -> sb.append(String.format("| %-78s | %-28s |%n", metric, describe(values))));
        sb.append(String.format("| %-78s | %-28s |%n", "runs that failed (figures left out)", failed));
        System.err.print(sb);
        System.out.print(sb);
        System.out.flush();
    }

    static String describe(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
        return String.format("%.2f (%.2f-%.2f) n=%d", median, sorted.get(0), sorted.get(n - 1), n);
    }
}

/**
 * The agent on Java 17, 21 and 25, in one lab of booted Debian 14 machines on one day: each host's agent restarted on
 * each runtime (JAVA_HOME in /etc/default/pgha-agent, as an operator sets it) and measured as a user meets it: the
 * start (systemctl restart until the unit is ready, which it is after the first converge pass; the class archive
 * already made by a start before), then RSS, PSS and CPU over an idle window. Java 25 also with what it adds, one at a
 * time: compact object headers and the AOT cache (the launcher's default on 25: both). Java 17 is Debian 12's
 * OpenJDK (this machine's), 21 Debian 13's (from its lab image), 25 Debian 14's own; each machine gets a copy.
 */
class JavaRuntimes {
    record Jvm(String name, String javaHome, String extraEnv) {
    }

    final LabPlan plan = LabPlan.standard(3, 1, LabPlan.Os.FORKY);
    final Lab lab;

    JavaRuntimes(Path deb) {
        lab = new Lab(plan, deb);
    }

    static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int idleSeconds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
        Path deb;
        try (var debs = Files.list(CostBench.HOME.resolve("target/deb"))) {
            deb = debs.filter(f -> f.toString().endsWith("_all.deb")).max(java.util.Comparator.comparing(
                    f -> f.toFile().lastModified())).orElseThrow(() -> new IllegalStateException("no .deb in"
                    + " target/deb: packaging/deb/build-deb makes one"));
        }
        List<Jvm> runtimes = List.of(
                new Jvm("Java 17 (OpenJDK 17, CDS archive)", "/opt/java-17", ""),
                new Jvm("Java 21 (OpenJDK 21, CDS archive)", "/opt/java-21", ""),
                new Jvm("Java 25, CDS archive + compact object headers", "/usr/lib/jvm/java-25-openjdk-amd64",
                        "PGHA_CLASS_CACHE=cds\n"),
                new Jvm("Java 25, AOT cache + compact object headers (launcher default)",
                        "/usr/lib/jvm/java-25-openjdk-amd64", ""));
        Map<String, List<Double>> figures = new LinkedHashMap<>();
        int failed = 0;
        JavaRuntimes bench = new JavaRuntimes(deb);
        if (bench.lab.exists()) {
            throw new IllegalStateException("a lab is up: pghactl lab down first");
        }
        bench.lab.create(30);
        try {
            bench.bringUp();
            bench.copyRuntimes();
            for (int run = 1; run <= runs; run++) {
                for (Jvm runtime : runtimes) {
                    System.err.printf("== run %d of %d: %s%n", run, runs, runtime.name());
                    Map<String, List<Double>> one = new LinkedHashMap<>();
                    try {
                        bench.measure(runtime, idleSeconds, one);
                        one.forEach((k, v) -> figures.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
                    } catch (Exception e) {
                        failed++;
                        System.err.println("run failed: " + e);
                    }
                    CostBench.print(figures, failed);
                }
            }
        } finally {
            bench.lab.destroy();
        }
        System.out.printf("%npgha-agent on each Java runtime, %d runs of 7 agents, Debian 14 machines, %s, %d cores,"
                + " %s%n", runs, java.time.LocalDate.now(), java.lang.Runtime.getRuntime().availableProcessors(),
                CostBench.git("rev-parse", "--short", "HEAD"));
        CostBench.print(figures, failed);
    }

    void bringUp() throws Exception {
        lab.startAll(plan.hosts());
        EtcdHealth etcd = new EtcdHealth(Duration.ofSeconds(2), plan.adminTls().sslContext());
        CostBench.await(Duration.ofSeconds(180), () -> plan.clientUrls().stream().allMatch(u -> etcd.probe(u)
                .healthy()), "etcd healthy");
        Path spec = plan.baseDir().resolve("cluster.yml");
        Files.writeString(spec, plan.specText(LabPlan.RECOMMENDED_TIMERS, false, Map.of()));
        LabCtl.run(CostBench.HOME.resolve("daemon/pghactl"), plan, Duration.ofSeconds(60), "apply", "-f",
                spec.toString());
        CostBench.await(Duration.ofSeconds(300), () -> LabStatuses.allConverged(plan, 0), "every agent converged");
    }

    /** Java 17 from this machine and 21 from the Debian 13 image, copied whole (links resolved) onto each machine. */
    void copyRuntimes() throws Exception {
        Path trixie = LabPlan.IMAGES.resolve("trixie");
        if (!Files.isDirectory(trixie.resolve("usr/lib/jvm/java-21-openjdk-amd64"))) {
            throw new IllegalStateException("no Debian 13 image with Java 21 in " + trixie + ": daemon/pghactl lab"
                    + " image --os trixie builds it");
        }
        for (LabPlan.Host h : plan.hosts()) {
            Path opt = plan.root(h).resolve("opt");
            Files.createDirectories(opt);
            // src.zip links to a package that is not installed.
            copy(List.of("tar", "-ch", "--exclude=src.zip", "-C", "/usr/lib/jvm", "java-17-openjdk-amd64"), opt,
                    "java-17");
            // Resolved inside the image: its links point into its own /etc.
            copy(List.of("chroot", trixie.toString(), "tar", "-ch", "--exclude=src.zip", "-C", "/usr/lib/jvm",
                    "java-21-openjdk-amd64"), opt, "java-21");
        }
    }

    private static void copy(List<String> tar, Path opt, String name) throws Exception {
        Path tmp = Files.createTempFile("jdk", ".tar");
        try {
            Process p = new ProcessBuilder(tar).redirectOutput(tmp.toFile()).redirectError(
                    ProcessBuilder.Redirect.INHERIT).start();
            if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", tar) + " failed");
            }
            Process x = new ProcessBuilder("tar", "-x", "-C", opt.toString(), "-f", tmp.toString()).inheritIO().start();
            if (!x.waitFor(5, TimeUnit.MINUTES) || x.exitValue() != 0) {
                throw new IllegalStateException("tar -x into " + opt + " failed");
            }
            String dir = tar.get(tar.size() - 1);
            Files.move(opt.resolve(dir), opt.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    void measure(Jvm runtime, int idleSeconds, Map<String, List<Double>> out) throws Exception {
        for (LabPlan.Host h : plan.hosts()) {
            Files.writeString(plan.root(h).resolve("etc/default/pgha-agent"), "JAVA_HOME=" + runtime.javaHome()
                    + "\n" + runtime.extraEnv());
            // The first start on a runtime makes its class archive (a training run): not what a restart costs.
            restart(h);
        }
        for (LabPlan.Host h : plan.hosts()) {
            long t0 = System.nanoTime();
            restart(h);
            CostBench.add(out, runtime.name() + ": agent start, systemctl restart -> ready (s)",
                    (System.nanoTime() - t0) / 1e9);
        }
        CostBench.await(Duration.ofSeconds(120), () -> LabStatuses.allConverged(plan, 0), "every agent converged");
        Thread.sleep(10_000);
        Map<LabPlan.Host, Long> pids = new LinkedHashMap<>();
        Map<LabPlan.Host, Long> before = new LinkedHashMap<>();
        for (LabPlan.Host h : plan.hosts()) {
            long pid = lab.agent(h).orElseThrow(() -> new IllegalStateException(h.name() + ": no agent")).pid();
            pids.put(h, pid);
            before.put(h, ProcessUsage.cpuTicks(pid));
        }
        Thread.sleep(TimeUnit.SECONDS.toMillis(idleSeconds));
        for (LabPlan.Host h : plan.hosts()) {
            long pid = pids.get(h);
            CostBench.add(out, runtime.name() + ": agent RSS after " + idleSeconds + " s idle (MiB)",
                    ProcessUsage.rssKb(pid) / 1024.0);
            CostBench.add(out, runtime.name() + ": agent PSS after " + idleSeconds + " s idle (MiB)",
                    ProcessUsage.pssKb(pid) / 1024.0);
            CostBench.add(out, runtime.name() + ": agent CPU over " + idleSeconds + " s idle (% of a core)",
                    (ProcessUsage.cpuTicks(pid) - before.get(h)) / (double) idleSeconds);
        }
    }

    private void restart(LabPlan.Host h) throws Exception {
        List<String> argv = new ArrayList<>(lab.commandOn(h));
        argv.addAll(List.of("systemctl", "restart", "pgha-agent"));
        Process p = new ProcessBuilder(argv).inheritIO().start();
        if (!p.waitFor(3, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(h.name() + ": systemctl restart pgha-agent did not finish (exit "
                    + (p.isAlive() ? "none" : p.exitValue()) + ")");
        }
    }
}
