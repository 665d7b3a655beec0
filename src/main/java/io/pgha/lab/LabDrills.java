package io.pgha.lab;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.pgha.dcs.EtcdDcs;
import io.pgha.model.AgentConfig;
import io.pgha.model.Health;
import io.pgha.model.HostStatus;
import io.pgha.model.Role;
import io.pgha.net.HttpText;
import io.pgha.postgres.PatroniClient;
import io.pgha.postgres.PostgresProbe;
import io.pgha.probe.EtcdHealth;
import java.io.IOException;
import java.net.http.HttpResponse;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The drills the benches run on a seven-host lab, measured the way a user meets them (through pghactl, the lb, the
 * agents' statuses): bring-up, idle load, a spec change, a switchover, a host crash, a partition of the primary,
 * restart-parameter rollouts, an etcd quorum loss. Each drill adds its figures to the run it is given; the benches
 * under bench/ pick the drills and count a run that fails apart ({@link Figures}).
 */
public final class LabDrills {
    static final long WRITE_EVERY_MS = 20;

    /**
     * A Patroni configuration the benches compare.
     *
     * @param synchronousMode Patroni's synchronous_mode: false, true or quorum
     * @param strict          synchronous_mode_strict
     * @param fastFailover    patroni.fast_failover
     */
    public record Config(String name, LabPlan.Timers timers, String synchronousMode, boolean strict,
                         boolean fastFailover) {
        public Config(String name, LabPlan.Timers timers, String synchronousMode) {
            this(name, timers, synchronousMode, false, false);
        }

        String specText(LabPlan plan, Map<String, String> parameters) {
            return plan.specText(timers, synchronousMode, strict, fastFailover, parameters);
        }

        public boolean synchronous() {
            return !synchronousMode.equals("false");
        }
    }

    /** A lab bench's arguments: {@code [runs] [--os trixie|forky] [word of a configuration's name...]}. */
    public record Args(int runs, LabPlan.Os os, List<Config> configs) {
        public static Args parse(String[] args, int defaultRuns) {
            List<String> rest = new ArrayList<>(List.of(args));
            int runs = !rest.isEmpty() && rest.get(0).matches("\\d+") ? Integer.parseInt(rest.remove(0)) : defaultRuns;
            LabPlan.Os os = LabPlan.Os.LOCAL;
            int at = rest.indexOf("--os");
            if (at >= 0) {
                rest.remove(at);
                String word = at < rest.size() ? rest.remove(at) : "";
                os = LabPlan.Os.named(word).orElseThrow(() -> new IllegalArgumentException("--os: expected one of "
                        + LabPlan.Os.names() + ", found '" + word + "'"));
            }
            return new Args(runs, os, configsNamed(rest));
        }
    }

    /**
     * The guide's timers and the recommended ones, asynchronous, and the recommended ones synchronous; quorum commit
     * (Patroni 4.0 and later) only when a word names it.
     */
    public static List<Config> configsNamed(List<String> words) {
        String recommended = "recommended (" + text(LabPlan.RECOMMENDED_TIMERS) + "), ";
        List<Config> all = List.of(
                new Config("guide timers (" + text(LabPlan.GUIDE_TIMERS) + "), async", LabPlan.GUIDE_TIMERS, "false"),
                new Config(recommended + "async", LabPlan.RECOMMENDED_TIMERS, "false"),
                new Config(recommended + "synchronous", LabPlan.RECOMMENDED_TIMERS, "true"),
                new Config(recommended + "quorum", LabPlan.RECOMMENDED_TIMERS, "quorum"));
        return all.stream().filter(c -> words.isEmpty() ? !c.synchronousMode().equals("quorum")
                : words.stream().anyMatch(c.name()::contains)).toList();
    }

    private static String text(LabPlan.Timers t) {
        return t.ttl() + "/" + t.loopWait() + "/" + t.retryTimeout();
    }

    private final Path home;
    private final LabPlan plan;
    private final Lab lab;
    /** Patroni's version and the timers it runs, as the data hosts' statuses said at bring-up. */
    private final Set<String> timersSeen = new TreeSet<>();
    private LabNetwork network;
    private PostgresProbe pg;
    private String password;
    private String restPassword;

    /**
     * A lab of the standard seven hosts on {@code os}, its agents from {@code home}'s launcher, or on booted machines
     * the newest .deb in {@code home}/target/deb.
     */
    public LabDrills(Path home, LabPlan.Os os) {
        this.home = home;
        this.plan = LabPlan.standard(3, 1, os);
        this.lab = new Lab(plan, agentSource(home, os));
    }

    static Path agentSource(Path home, LabPlan.Os os) {
        if (!os.booted()) {
            return home.resolve("daemon/pgha-agent");
        }
        try (var debs = Files.list(home.resolve("target/deb"))) {
            return debs.filter(f -> f.getFileName().toString().endsWith("_all.deb"))
                    .max(java.util.Comparator.comparing(f -> f.toFile().lastModified()))
                    .orElseThrow(() -> new IllegalStateException("no .deb in target/deb: packaging/deb/build-deb"));
        } catch (IOException e) {
            throw new IllegalStateException("no target/deb: packaging/deb/build-deb", e);
        }
    }

    public Set<String> timersSeen() {
        return Set.copyOf(timersSeen);
    }


    /** What runs on a lab once it is up and healthy, given the spec file. */
    public interface OnLab {
        void run(Path spec) throws Exception;
    }

    /**
     * Creates the lab, brings it up with the configuration's spec (its time into {@code out}), runs {@code work},
     * and always tears it down.
     */
    public void withLab(Config config, Figures.Run out, OnLab work) throws Exception {
        if (lab.exists()) {
            throw new IllegalStateException("a lab is up: pghactl lab down first");
        }
        lab.create(30);
        network = lab.network().orElseThrow();
        try {
            work.run(bootstrap(config, out));
        } finally {
            lab.destroy();
        }
    }

    /** Applies a changed parameter (work_mem) and waits until all 7 agents report it applied. */
    public void specChange(Config config, Path spec, Figures.Run out) throws Exception {
        Files.writeString(spec, config.specText(plan, Map.of("work_mem", "8MB")));
        long before = System.nanoTime();
        applyAndAwait(spec);
        out.add("spec change -> all 7 agents report it applied (s)", (System.nanoTime() - before) / 1e9);
    }

    /** Applies {@code config}'s spec (work_mem as at bring-up) and waits until every host has converged on it. */
    public void reapply(Config config, Path spec) throws Exception {
        Files.writeString(spec, config.specText(plan, Map.of("work_mem", "4MB")));
        applyAndAwait(spec);
    }

    private void applyAndAwait(Path spec) throws Exception {
        long rev = Long.parseLong(ctl("apply", "-f", spec.toString()).replaceAll("(?s).*revision (\\d+).*", "$1"));
        await(Duration.ofSeconds(120), () -> allConverged(rev));
    }

    /** Starts every host's agent, applies the spec, waits for a healthy cluster; returns the spec file. */
    Path bootstrap(Config config, Figures.Run out) throws Exception {
        long t0 = System.nanoTime();
        for (LabPlan.Host h : plan.hosts()) {
            lab.start(h);
        }
        EtcdHealth etcd = new EtcdHealth(Duration.ofSeconds(2), plan.adminTls().sslContext());
        for (String url : plan.clientUrls()) {
            await(Duration.ofSeconds(120), () -> etcd.probe(url).healthy());
        }
        Path spec = plan.baseDir().resolve("cluster.yml");
        Files.writeString(spec, config.specText(plan, Map.of("work_mem", "4MB")));
        ctl("apply", "-f", spec.toString());
        password = ctl("get", "secret", "superuser").strip();
        pg = new PostgresProbe("postgres", password, 2, plan.adminTls().ca());
        restPassword = ctl("get", "secret", "patroni_rest").strip();
        await(Duration.ofSeconds(300), () -> allConverged(0) && writableViaLb());
        out.add("agents started -> healthy, writes via lb (s)", (System.nanoTime() - t0) / 1e9);
        try (EtcdDcs dcs = dcs()) {
            for (HostStatus s : dcs.hostStatuses().readable().values()) {
                Health.Patroni p = s.health().patroni();
                if (p != null && p.timers() != null) {
                    timersSeen.add("Patroni " + p.version() + ": " + p.timers());
                }
            }
        }
        try (Connection c = pg.connect(lb(), 5000); Statement s = c.createStatement()) {
            s.execute("create table drill (id bigint primary key, note text)");
        }
        return spec;
    }

    /** How long a partition stays cut after the failover: a ttl on Patroni 3.0.2 (its leader-key race), else none. */
    public Duration healDelay(Config config) {
        return plan.os().booted() ? Duration.ZERO : Duration.ofSeconds(config.timers().ttl());
    }

    /**
     * Raises then lowers max_connections and max_locks_per_transaction with pghactl apply --wait under writes;
     * at every poll, a data host that says the revision is applied must SHOW the new value.
     */
    public void rollouts(Config config, Path spec, Figures.Run out, long firstId) throws Exception {
        for (String[] step : List.of(new String[] {"up", "150", "128"}, new String[] {"down", "120", "96"})) {
            Files.writeString(spec, plan.specText(config.timers(), false, Map.of("work_mem", "4MB",
                    "max_connections", step[1], "max_locks_per_transaction", step[2])));
            long before;
            try (EtcdDcs dcs = dcs()) {
                before = dcs.spec().orElseThrow().modRevision();
            }
            WriteLog log = new WriteLog();
            LabWriter writer = writer(log, firstId + (step[0].equals("up") ? 0 : 250_000));
            AtomicLong early = new AtomicLong();
            AtomicBoolean watching = new AtomicBoolean(true);
            Thread watcher = new Thread(() -> {
                while (watching.get()) {
                    try (EtcdDcs dcs = dcs()) {
                        for (HostStatus s : dcs.hostStatuses().readable().values()) {
                            if (s.has(Role.DATA) && s.specRevision() > before && s.applied()
                                    && !pg.show(address(s.host()), 5432, "max_connections").equals(step[1])) {
                                early.incrementAndGet();
                            }
                        }
                        Thread.sleep(200);
                    } catch (Exception e) {
                        // a host restarting: the next poll
                    }
                }
            });
            watcher.start();
            long t0 = System.currentTimeMillis();
            try {
                awaitAcks(log, 0, 25);
                t0 = System.currentTimeMillis();
                ctl(Duration.ofSeconds(400), "apply", "-f", spec.toString(), "--wait", "--timeout", "360");
                long t1 = System.currentTimeMillis();
                out.add("rollout " + step[0] + ": apply --wait until in effect everywhere (s)", (t1 - t0) / 1000.0);
                awaitAcks(log, t1, 25);
                out.add("rollout " + step[0] + ": longest write gap via lb (s)", log.longestGap(t0, t1) / 1000.0);
            } finally {
                writer.stop();
                watching.set(false);
                watcher.join(10_000);
            }
            out.add("rollout " + step[0] + ": acknowledged writes lost", lost(log));
            out.add("rollout " + step[0] + ": 'applied' seen before SHOW agreed (1 = yes)", early.get() > 0 ? 1 : 0);
        }
    }

    /**
     * A switchover first (a Patroni 3.0 leader that had been a replica in an earlier outage is the case that once
     * demoted), then 2 of 3 etcd members, the raft leader among them, stopped (SIGSTOP) for 30 s.
     */
    public void quorumLoss(Figures.Run out, long firstId) throws Exception {
        ctl(Duration.ofSeconds(120), "switchover");
        await(Duration.ofSeconds(180), () -> allConverged(0));
        String leader = leader();
        Map<String, Long> postmasters = new LinkedHashMap<>();
        for (String h : data()) {
            postmasters.put(h, postmasterPid(h));
        }
        List<LabPlan.Host> members = plan.hostsWith(Role.ETCD);
        List<Long> stopped = new ArrayList<>();
        String raftLeader = members.stream().filter(this::isRaftLeader).map(LabPlan.Host::name).findFirst()
                .orElse(members.get(0).name());
        stopped.add(lab.programPid(plan.host(raftLeader), "etcd").orElseThrow());
        stopped.add(lab.programPid(members.stream().filter(m -> !m.name().equals(raftLeader)).findFirst()
                .orElseThrow(), "etcd").orElseThrow());
        WriteLog log = new WriteLog();
        LabWriter writer = writer(log, firstId);
        int[] samples = new int[2];
        long back;
        try {
            awaitAcks(log, 0, 25);
            long t0 = System.currentTimeMillis();
            signal("STOP", stopped);
            try {
                samples = writableSamples(leader, Duration.ofSeconds(30), samples);
            } finally {
                signal("CONT", stopped);
                back = System.currentTimeMillis();
            }
            // The leader is watched from etcd's return on (where a demotion happened), while the agents recover.
            int[] before = samples;
            CompletableFuture<int[]> after = CompletableFuture.supplyAsync(
                    () -> {
                        try {
                            return writableSamples(leader, Duration.ofSeconds(30), before);
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    });
            await(Duration.ofSeconds(120), () -> allConverged(0));
            out.add("quorum loss: etcd back -> every agent healthy again (s)",
                    (System.currentTimeMillis() - back) / 1000.0);
            samples = after.get();
            awaitAcks(log, back, 25);
            out.add("quorum loss: longest write gap via lb (s)",
                    log.longestGap(t0, System.currentTimeMillis()) / 1000.0);
        } finally {
            writer.stop();
        }
        out.add("quorum loss: leader writable at every sample, during and after (1 = yes)",
                samples[1] == samples[0] ? 1 : 0);
        out.add("quorum loss: demoted or lost the leader role (1 = yes)", leader.equals(leader()) ? 0 : 1);
        out.add("quorum loss: a postmaster pid changed (1 = yes)", data().stream()
                .anyMatch(h -> postmasters.get(h) != postmasterPidOrZero(h)) ? 1 : 0);
        out.add("quorum loss: acknowledged writes lost", lost(log));
    }

    boolean streaming(String host) {
        try (EtcdDcs dcs = dcs()) {
            HostStatus s = dcs.hostStatuses().readable().get(host);
            Health.Postgres postgres = s == null ? null : s.health().postgres();
            return postgres != null && postgres.isStreaming();
        } catch (Exception e) {
            return false;
        }
    }

    String warnings(String host) {
        try (EtcdDcs dcs = dcs()) {
            HostStatus s = dcs.hostStatuses().readable().get(host);
            return s == null ? "" : String.join("; ", s.warnings());
        } catch (Exception e) {
            return "";
        }
    }

    /** Adds to {@code counts} (samples, samples where the leader was writable) over {@code period}. */
    int[] writableSamples(String leader, Duration period, int[] counts) throws Exception {
        long t0 = System.currentTimeMillis();
        int[] c = counts.clone();
        while (System.currentTimeMillis() - t0 < period.toMillis()) {
            c[0]++;
            try (Connection conn = pg.connect(address(leader), 5432); Statement s = conn.createStatement();
                 ResultSet rs = s.executeQuery("select pg_is_in_recovery()")) {
                rs.next();
                c[1] += rs.getBoolean(1) ? 0 : 1;
            } catch (Exception e) {
                // not writable in this sample
            }
            Thread.sleep(500);
        }
        return c;
    }

    /** A data host's Patroni as pghactl asks it: the admin certificate and the REST password. */
    PatroniClient patroni(String address, Duration timeout) throws IOException {
        return new PatroniClient(address, 8008, timeout, plan.adminTls().sslContext(), restPassword);
    }

    boolean isRaftLeader(LabPlan.Host member) {
        try {
            HttpResponse<String> r = new HttpText(Duration.ofSeconds(3),
                    plan.adminTls().sslContext()).get("https://" + member.address() + ":2379/metrics");
            return r.body().lines().anyMatch(l -> l.equals("etcd_server_is_leader 1"));
        } catch (Exception e) {
            return false;
        }
    }

    static void signal(String signal, List<Long> pids) throws Exception {
        for (long pid : pids) {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + pid + " failed");
            }
        }
    }

    long postmasterPid(String host) throws Exception {
        Path pid = plan.root(plan.host(host)).resolve(plan.postgresDataDir()).resolve("postmaster.pid");
        return Long.parseLong(Files.readAllLines(pid).get(0).strip());
    }

    long postmasterPidOrZero(String host) {
        try {
            return postmasterPid(host);
        } catch (Exception e) {
            return 0;
        }
    }

    /**
     * What fast failover's looks cost over {@code seconds} of a healthy, idle cluster: the CPU of the leader's Postgres
     * (its postmaster and the backends that exited meanwhile, so each look's short-lived backend is in) and of the
     * other hosts' agents. Run once with the option on and once with it off, the difference is the looks.
     */
    public void observerCost(String name, Figures.Run out, long seconds) throws Exception {
        String leader = leader();
        long postmaster = lab.postmasterPid(plan.host(leader))
                .orElseThrow(() -> new IllegalStateException("no postmaster.pid on " + leader));
        List<Long> agents = plan.hosts().stream().filter(h -> !h.name().equals(leader))
                .map(h -> lab.agent(h).orElseThrow().pid()).toList();
        long postgres0 = ProcessUsage.cpuTicksWithExitedChildren(postmaster);
        long agents0 = agents.stream().mapToLong(ProcessUsage::cpuTicks).sum();
        Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
        long postgres1 = ProcessUsage.cpuTicksWithExitedChildren(postmaster);
        long agents1 = agents.stream().mapToLong(ProcessUsage::cpuTicks).sum();
        if (!leader.equals(leader()) || postgres1 == 0) {
            throw new IllegalStateException("the leader changed or its postmaster went during the window");
        }
        // Ticks are 1/100 s: ticks per second of wall time are % of a core.
        out.add(name + ": cost: leader's Postgres CPU (% of a core)", (postgres1 - postgres0) / (double) seconds);
        out.add(name + ": cost: agent CPU per other host (% of a core)",
                (agents1 - agents0) / (double) seconds / agents.size());
    }

    /** The agents' own load over {@code seconds} of a healthy, idle cluster. */
    public void idle(Figures.Run out, long seconds) throws Exception {
        Thread.sleep(5000);
        List<Long> agents = plan.hosts().stream().map(h -> lab.agent(h).orElseThrow().pid()).toList();
        long rss = agents.stream().mapToLong(ProcessUsage::rssKb).sum();
        long cpu0 = agents.stream().mapToLong(ProcessUsage::cpuTicks).sum();
        AtomicLong agentWrites = new AtomicLong();
        AtomicLong allWrites = new AtomicLong();
        var trust = plan.adminTls().trustManager();
        var key = plan.adminTls().keyManager();
        try (Client client = Client.builder().endpoints(plan.clientUrls().toArray(String[]::new))
                .authority(AgentConfig.clusterDnsName(plan.cluster()))
                .sslContext(b -> b.trustManager(trust).keyManager(key)).build();
             Watch.Watcher pgha = client.getWatchClient().watch(bytes("/pgha/"),
                     WatchOption.builder().isPrefix(true).build(),
                     r -> agentWrites.addAndGet(r.getEvents().size()));
             Watch.Watcher all = client.getWatchClient().watch(bytes("/"), WatchOption.builder().isPrefix(true).build(),
                     r -> allWrites.addAndGet(r.getEvents().size()))) {
            Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
        }
        long cpu1 = agents.stream().mapToLong(ProcessUsage::cpuTicks).sum();
        out.add("agent RSS at idle, per agent (MiB)", rss / 1024.0 / agents.size());
        out.add("agent CPU at idle, per agent (% of a core)", (cpu1 - cpu0) / 100.0 / seconds * 100 / agents.size());
        out.add("etcd writes/s by the 7 agents at idle", agentWrites.get() / (double) seconds);
        out.add("etcd writes/s by everything at idle (Patroni too)", allWrites.get() / (double) seconds);
    }

    public void switchover(Config config, Figures.Run out) throws Exception {
        WriteLog log = new WriteLog();
        LabWriter writer = writer(log, 1_000_000);
        try {
            awaitAcks(log, 0, 25);
            String leader = leader();
            String target = PatroniClient.takeoverCandidates(patroni(address(leader), Duration.ofSeconds(5)).cluster())
                    .get(0).name();
            long t0 = System.currentTimeMillis();
            patroni(address(leader), Duration.ofSeconds(30)).switchover(leader, target);
            awaitAcks(log, t0, 25);
            out.add("planned switchover: longest write gap via lb (s)",
                    log.longestGap(t0, System.currentTimeMillis()) / 1000.0);
            if (config.synchronous()) {
                // As pghactl switchover does: done once the new leader has a standby Patroni may promote.
                patroni(address(target), Duration.ofSeconds(5)).awaitSynchronousStandby(Duration.ofSeconds(120));
                out.add("planned switchover: synchronous standby recorded (s after the request)",
                        (System.currentTimeMillis() - t0) / 1000.0);
            }
        } finally {
            writer.stop();
        }
    }

    /**
     * Kills every process of the leader's host under writes through the lb; restarts it afterwards and waits for the
     * cluster to recover (so that a next crash starts right after a recovery).
     */
    public void crash(String name, Figures.Run out, long firstId) throws Exception {
        WriteLog log = new WriteLog();
        LabWriter writer = writer(log, firstId);
        String old = leader();
        try {
            awaitAcks(log, 0, 25);
            long t0 = System.currentTimeMillis();
            lab.kill(plan.host(old));
            boolean failedOver;
            try {
                awaitAcks(log, t0, 25);
                failedOver = true;
            } catch (IllegalStateException e) {
                failedOver = false;
            }
            out.add(name + ": failed over, writes via lb again (1 = yes)", failedOver ? 1 : 0);
            if (failedOver) {
                out.add(name + ": write gap (s)", log.longestGap(t0, System.currentTimeMillis()) / 1000.0);
            }
        } finally {
            writer.stop();
        }
        out.add(name + ": acknowledged writes lost", lost(log));
        lab.start(plan.host(old));
        await(Duration.ofSeconds(240), () -> allConverged(0));
    }

    /**
     * A host crash of the leader under writes through the lb, its write gap split into parts: until the observers
     * first saw the leader down (from the early failover's evidence), until an agent ended its claim, until Patroni
     * elected the successor (the leader key, polled every 20 ms), and until HAProxy sent the writes there (the first
     * acknowledgement after that). Without an early failover (the option off) only the election and the switch.
     * A crash starts once the last early failover is older than {@code ttl}: the agents make at most one per ttl,
     * and a round sooner would measure that rule, not the failover.
     */
    public void crashInParts(String name, Figures.Run out, long firstId, Duration ttl) throws Exception {
        WriteLog log = new WriteLog();
        LabWriter writer = writer(log, firstId);
        String old = leader();
        long elected = 0;
        long t0;
        Optional<io.pgha.model.EarlyFailover> early;
        try (EtcdDcs dcs = dcs()) {
            awaitAcks(log, 0, 25);
            Optional<io.pgha.model.EarlyFailover> previous = dcs.lastEarlyFailover();
            if (previous.isPresent()) {
                Thread.sleep(Math.max(0, previous.get().at() + ttl.toMillis() + 1000 - System.currentTimeMillis()));
            }
            t0 = System.currentTimeMillis();
            lab.kill(plan.host(old));
            long deadline = t0 + TimeUnit.SECONDS.toMillis(90);
            while (elected == 0 && System.currentTimeMillis() < deadline) {
                try {
                    if (dcs.leaderKey().filter(k -> !k.value().equals(old)).isPresent()) {
                        elected = System.currentTimeMillis();
                    }
                } catch (io.pgha.dcs.DcsException e) {
                    // etcd busy: the next poll
                }
                Thread.sleep(20);
            }
            if (elected == 0) {
                throw new IllegalStateException("no new leader key within 90 s of the crash");
            }
            awaitAcks(log, elected, 25);
            early = dcs.lastEarlyFailover().filter(f -> f.leader().equals(old) && f.at() >= t0);
        } finally {
            writer.stop();
        }
        long gap = log.longestGap(t0, System.currentTimeMillis());
        long resumed = log.firstAckAfter(elected).orElseThrow();
        out.add(name + ": write gap via lb (s)", gap / 1000.0);
        out.add(name + ": early failover (1 = yes)", early.isPresent() ? 1 : 0);
        if (early.isPresent()) {
            long seen = early.get().evidence().stream().mapToLong(io.pgha.model.LeaderVerdict::since).min()
                    .orElse(early.get().at());
            out.add(name + ": 1 detection: crash -> first observer saw it down (s)", (seen - t0) / 1000.0);
            out.add(name + ": 2 decision: -> quorum agreed, claim ended (s)", (early.get().at() - seen) / 1000.0);
            out.add(name + ": 3 election: -> successor holds the leader key (s)",
                    (elected - early.get().at()) / 1000.0);
        } else {
            out.add(name + ": 1-3 lease expiry and election: crash -> successor holds the key (s)",
                    (elected - t0) / 1000.0);
        }
        out.add(name + ": 4 switch: -> first write acknowledged via lb (s)", (resumed - elected) / 1000.0);
        out.add(name + ": acknowledged writes lost", lost(log));
        lab.start(plan.host(old));
        await(Duration.ofSeconds(240), () -> allConverged(0));
    }

    /**
     * Cuts the primary's link under writes through the lb and straight into it (from inside its namespace), heals it
     * a ttl after the failover. In asynchronous mode the old primary then holds writes nobody else has: measures
     * until it streams from the new leader again, whether by Patroni's rewind or the agent's reinitialisation.
     */
    public void partition(String name, Figures.Run out, long firstId, Duration ttl) throws Exception {
        WriteLog viaLb = new WriteLog();
        WriteLog direct = new WriteLog();
        LabWriter writer = writer(viaLb, firstId);
        String isolated = leader();
        Process inside = insideWriter(isolated, direct, firstId + 500_000);
        long healed;
        try {
            awaitAcks(viaLb, 0, 25);
            awaitAcks(direct, 0, 5);
            long t0 = System.currentTimeMillis();
            network.cut(plan.host(isolated));
            awaitAcks(viaLb, t0, 25);
            long failedOver = System.currentTimeMillis();
            await(Duration.ofSeconds(90), () -> direct.acksAfter(System.currentTimeMillis() - 3000) == 0);
            out.add(name + ": write gap via lb (s)", viaLb.longestGap(t0, System.currentTimeMillis()) / 1000.0);
            out.add(name + ": writes acked by the isolated primary after the cut", direct.acksAfter(t0));
            // On Patroni 3.0.2 the link comes back a ttl after writes resumed elsewhere: healed within moments of
            // the failover, it can let the old leader put the leader key back (README, known gaps). Patroni 4 heals
            // at once.
            Thread.sleep(Math.max(0, failedOver + ttl.toMillis() - System.currentTimeMillis()));
            network.heal(plan.host(isolated));
            healed = System.currentTimeMillis();
        } finally {
            writer.stop();
            inside.destroy();
            inside.waitFor(10, TimeUnit.SECONDS);
        }
        await(Duration.ofSeconds(600), () -> streaming(isolated));
        out.add(name + ": heal -> former primary streaming again (s)", (System.currentTimeMillis() - healed) / 1000.0);
        out.add(name + ": repaired by the agent's reinitialisation (1 = yes)",
                warnings(isolated).contains("reinitialised") ? 1 : 0);
        await(Duration.ofSeconds(240), () -> allConverged(0));
        out.add(name + ": acknowledged writes lost (via lb + direct)", lost(viaLb) + lost(direct));
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
        LabWriter w = new LabWriter(lb(), 5000, password, firstId, WRITE_EVERY_MS, TimeUnit.MINUTES.toMillis(6),
                log::add);
        Thread t = new Thread(w);
        t.setDaemon(true);
        t.start();
        return w;
    }

    Process insideWriter(String host, WriteLog log, long firstId) throws Exception {
        return LabWriter.startInside(network, plan.host(host), home.resolve("target/pgha-agent.jar"), password, firstId,
                WRITE_EVERY_MS, TimeUnit.MINUTES.toMillis(6), log::add);
    }

    /** Until every host has converged on the spec stored now (3 minutes at most). */
    public void awaitConverged() throws Exception {
        await(Duration.ofSeconds(180), () -> allConverged(0));
    }

    public boolean allConverged(long revision) {
        return LabStatuses.allConverged(plan, revision);
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
                Optional<PatroniClient.ClusterMember> l = patroni(address(h), Duration.ofSeconds(2)).leader();
                if (l.isPresent()) {
                    return l.get().name();
                }
            } catch (IOException e) {
                // next
            }
        }
        return null;
    }

    void awaitAcks(WriteLog log, long after, int count) throws Exception {
        await(Duration.ofSeconds(180), () -> log.acksAfter(after) >= count);
    }

    public void await(Duration timeout, Supplier<Boolean> condition) throws Exception {
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
        try (EtcdDcs dcs = dcs()) {
            for (HostStatus s : dcs.hostStatuses().readable().values()) {
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
        return ctl(Duration.ofSeconds(60), args);
    }

    String ctl(Duration limit, String... args) throws Exception {
        return LabCtl.run(home.resolve("daemon/pghactl"), plan, limit, args);
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

    /** The cluster's etcd as pghactl reaches it: the admin certificate, a 3 s deadline. */
    private EtcdDcs dcs() throws IOException {
        return new EtcdDcs(plan.cluster(), plan.clientUrls(), Duration.ofSeconds(3), plan.adminTls());
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }
}
