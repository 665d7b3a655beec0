import io.pgha.dcs.Dcs;
import io.pgha.dcs.EtcdDcs;
import io.pgha.lab.ProcessUsage;
import io.pgha.tls.CertificateRequest;
import io.pgha.tls.ClusterCa;
import io.pgha.tls.ClusterFiles;
import io.pgha.tls.IssuedCertificate;
import io.pgha.tls.TlsFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * One 3-member etcd (Debian's, on loopback, TLS with client certificates as the agents use it) serving many clusters'
 * agents, each simulated with the agent's own etcd client (io.pgha.dcs.EtcdDcs) on a connection of its own, doing
 * what an agent does against etcd: a watch on its cluster's spec (data hosts also on the secrets), its status on a
 * lease with keep-alives every 5 s, a status write at each change and as a heartbeat every 60 s, etcd's member list
 * at each converge pass (30 s). A spec change reaches one cluster every few seconds (each cluster about every 5
 * minutes); its agents then write their status twice (pending, applied a second later). A probe client puts a small
 * key every 100 ms, first with no agents (the disk's own figure), then under the full load. etcd's authorization
 * (users and roles) is left off: 1,050 users would take minutes to create, etcd hashing each password.
 * Run from the repository root, as root:
 *   mvn -q -B package -DskipTests && java -cp target/pgha-agent.jar bench/ScaleBench.java [runs [clusters [seconds]]]
 */
public class ScaleBench {
    static final int AGENTS_PER_CLUSTER = 7;
    static final int DATA_PER_CLUSTER = 3;
    static final String STATUS = "{\"host\":\"x\",\"pad\":\"" + "x".repeat(4000) + "\"}";

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int clusters = args.length > 1 ? Integer.parseInt(args[1]) : 150;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 120;
        Map<String, List<Double>> figures = new LinkedHashMap<>();
        int failed = 0;
        for (int run = 1; run <= runs; run++) {
            System.err.printf("== run %d of %d: %d clusters x %d agents, %d s%n", run, runs, clusters,
                    AGENTS_PER_CLUSTER, seconds);
            Map<String, List<Double>> one = new LinkedHashMap<>();
            try {
                new ScaleBench().run(clusters, seconds, one);
                one.forEach((k, v) -> figures.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
            } catch (Exception e) {
                failed++;
                System.err.println("run failed: " + e);
                e.printStackTrace();
            }
            print(figures, failed);
        }
        System.out.printf("%npgha-agent scale bench, %d runs, %d clusters x %d agents, %d s each, %s, %d cores%n", runs,
                clusters, AGENTS_PER_CLUSTER, seconds, java.time.LocalDate.now(),
                Runtime.getRuntime().availableProcessors());
        print(figures, failed);
    }

    final List<Process> members = new ArrayList<>();
    Path dir;

    void run(int clusters, int seconds, Map<String, List<Double>> out) throws Exception {
        dir = Files.createTempDirectory("pgha-scale");
        try {
            TlsFiles tls = certificates(clusters);
            List<String> endpoints = startEtcd(tls);
            ScheduledExecutorService pool = Executors.newScheduledThreadPool(16);
            // Connecting is apart from the agents' timers: a thousand TLS handshakes must not hold up keep-alives.
            java.util.concurrent.ExecutorService starter = Executors.newFixedThreadPool(8);
            List<SimAgent> agents = new ArrayList<>();
            try (EtcdDcs probe = new EtcdDcs("c1", endpoints, Duration.ofSeconds(5), tls)) {
                awaitPuts(probe);
                add(out, "probe put p99, no agents (ms)", percentile(probePuts(probe, 30), 99));
                long t0 = System.nanoTime();
                AtomicInteger failedAgents = new AtomicInteger();
                for (int c = 1; c <= clusters; c++) {
                    for (int h = 1; h <= AGENTS_PER_CLUSTER; h++) {
                        SimAgent a = new SimAgent("c" + c, "h" + h, h <= DATA_PER_CLUSTER);
                        agents.add(a);
                        starter.execute(() -> {
                            try {
                                a.start(endpoints, tls);
                                pool.scheduleAtFixedRate(a::tick, ThreadLocalRandom.current().nextInt(1000), 1000,
                                        TimeUnit.MILLISECONDS);
                            } catch (Exception e) {
                                failedAgents.incrementAndGet();
                            }
                        });
                    }
                }
                await(() -> agents.stream().filter(SimAgent::started).count() + failedAgents.get() == agents.size(),
                        Duration.ofMinutes(5), "every simulated agent connected");
                add(out, "agents connected, each with a watch and a status on a lease (s)", (System.nanoTime() - t0) / 1e9);
                add(out, "agents that could not connect", failedAgents.get());
                // Spec changes through the window: every cluster about once in five minutes.
                long everyMillis = Math.max(100, 300_000 / clusters);
                AtomicLong changes = new AtomicLong();
                pool.scheduleAtFixedRate(() -> {
                    String cluster = "c" + (1 + changes.getAndIncrement() % clusters);
                    try (EtcdDcs admin = new EtcdDcs(cluster, endpoints, Duration.ofSeconds(5), tls)) {
                        long current = admin.spec().map(v -> v.modRevision()).orElse(0L);
                        admin.applySpec("cluster: " + cluster + "\nchange: " + changes.get() + "\n", current);
                    } catch (Exception e) {
                        System.err.println("spec change failed: " + e.getMessage());
                    }
                }, 0, everyMillis, TimeUnit.MILLISECONDS);
                Thread.sleep(10_000);
                agents.forEach(SimAgent::resetCounts);
                Map<Long, Long> cpu0 = etcdTicks();
                List<Double> probeLatencies = probePuts(probe, seconds);
                Map<Long, Long> cpu1 = etcdTicks();
                List<Double> statusLatencies = new ArrayList<>();
                long writes = 0;
                long failedCalls = 0;
                long regrants = 0;
                for (SimAgent a : agents) {
                    statusLatencies.addAll(a.putMillis);
                    writes += a.writes.get();
                    failedCalls += a.failures.get();
                    regrants += a.regrants.get();
                }
                add(out, "probe put p50 under the agents (ms)", percentile(probeLatencies, 50));
                add(out, "probe put p99 under the agents (ms)", percentile(probeLatencies, 99));
                add(out, "agents' status put p50 (ms)", percentile(statusLatencies, 50));
                add(out, "agents' status put p99 (ms)", percentile(statusLatencies, 99));
                add(out, "status writes per agent per second", writes / (double) seconds / agents.size());
                add(out, "agents' failed etcd calls in the window", failedCalls);
                add(out, "agents' leases expired and granted again in the window", regrants);
                for (Map.Entry<Long, Long> m : cpu1.entrySet()) {
                    add(out, "etcd member CPU (% of a core)", (m.getValue() - cpu0.get(m.getKey())) / (double) seconds);
                    add(out, "etcd member RSS (MiB)", ProcessUsage.rssKb(m.getKey()) / 1024.0);
                }
            } finally {
                starter.shutdownNow();
                pool.shutdownNow();
                agents.forEach(SimAgent::close);
            }
        } finally {
            for (Process p : members) {
                p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    /** A CA, a server certificate naming every cluster (the agents' client checks its cluster's name), one client's. */
    TlsFiles certificates(int clusters) throws Exception {
        SecureRandom random = new SecureRandom();
        Instant now = Instant.now();
        ClusterCa ca = ClusterCa.create("scale", random, now);
        List<String> names = IntStream.rangeClosed(1, clusters).mapToObj(c -> "c" + c + ".pgha").toList();
        IssuedCertificate server = ca.issue(new CertificateRequest("etcd", names, List.of("127.0.0.1"),
                Duration.ofDays(1)), now);
        IssuedCertificate client = ca.issue(new CertificateRequest("agent-sim", List.of(), List.of(),
                Duration.ofDays(1)), now);
        ClusterFiles.write(dir.resolve("ca.crt"), ca.issued().certificatePem(), "rw-r--r--");
        ClusterFiles.write(dir.resolve("server.crt"), server.certificatePem(), "rw-r--r--");
        ClusterFiles.write(dir.resolve("server.key"), server.keyPem(), "rw-------");
        ClusterFiles.write(dir.resolve("client.crt"), client.certificatePem(), "rw-r--r--");
        ClusterFiles.write(dir.resolve("client.key"), client.keyPem(), "rw-------");
        return new TlsFiles(dir.resolve("ca.crt"), dir.resolve("client.crt"), dir.resolve("client.key"));
    }

    /** Three members on loopback, as the agents configure them (periodic compaction, 1 GiB quota). */
    List<String> startEtcd(TlsFiles tls) throws Exception {
        String cluster = String.join(",", IntStream.rangeClosed(1, 3)
                .mapToObj(i -> "m" + i + "=http://127.0.0.1:" + (24800 + i)).toList());
        List<String> endpoints = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            String client = "https://127.0.0.1:" + (24790 + i);
            endpoints.add(client);
            List<String> argv = List.of("/usr/bin/etcd", "--name", "m" + i, "--data-dir",
                    dir.resolve("m" + i).toString(), "--listen-client-urls", client, "--advertise-client-urls", client,
                    "--listen-peer-urls", "http://127.0.0.1:" + (24800 + i), "--initial-advertise-peer-urls",
                    "http://127.0.0.1:" + (24800 + i), "--initial-cluster", cluster, "--initial-cluster-state", "new",
                    "--initial-cluster-token", "scale", "--cert-file", dir.resolve("server.crt").toString(),
                    "--key-file", dir.resolve("server.key").toString(), "--trusted-ca-file", tls.ca().toString(),
                    "--client-cert-auth", "--quota-backend-bytes", Long.toString(1L << 30),
                    "--auto-compaction-mode", "periodic", "--auto-compaction-retention", "1h", "--logger", "zap",
                    "--log-outputs", dir.resolve("m" + i + ".log").toString());
            members.add(new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("m" + i + ".out").toFile()).start());
        }
        return endpoints;
    }

    void awaitPuts(EtcdDcs probe) throws Exception {
        await(() -> {
            try {
                probe.put("/bench/probe", "{}", 0);
                return true;
            } catch (Exception e) {
                return false;
            }
        }, Duration.ofSeconds(60), "etcd taking writes");
    }

    /** Puts every 100 ms for {@code seconds}; each put's time in ms. */
    static List<Double> probePuts(EtcdDcs probe, int seconds) throws Exception {
        List<Double> out = new ArrayList<>();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < end) {
            long t = System.nanoTime();
            probe.put("/bench/probe", "{\"at\":" + t + "}", 0);
            out.add((System.nanoTime() - t) / 1e6);
            Thread.sleep(100);
        }
        return out;
    }

    Map<Long, Long> etcdTicks() {
        Map<Long, Long> out = new LinkedHashMap<>();
        members.forEach(p -> out.put(p.pid(), ProcessUsage.cpuTicks(p.pid())));
        return out;
    }

    /** What one agent does against etcd, on its own client connection. */
    static final class SimAgent {
        final String cluster;
        final String host;
        final boolean data;
        final List<Double> putMillis = Collections.synchronizedList(new ArrayList<>());
        final AtomicLong writes = new AtomicLong();
        final AtomicLong failures = new AtomicLong();
        final AtomicLong regrants = new AtomicLong();
        final AtomicInteger pendingWrites = new AtomicInteger();
        volatile boolean started;
        EtcdDcs dcs;
        long lease;
        final List<Dcs.Watch> watches = new ArrayList<>();
        long nextKeepAlive;
        long nextHeartbeat;
        long nextPass;

        SimAgent(String cluster, String host, boolean data) {
            this.cluster = cluster;
            this.host = host;
            this.data = data;
        }

        void start(List<String> endpoints, TlsFiles tls) throws Exception {
            dcs = new EtcdDcs(cluster, endpoints, Duration.ofSeconds(5), tls);
            lease = dcs.grantLease(15);
            // A spec change: the status says pending at once and applied a second later.
            watches.add(dcs.watchSpec(0, spec -> pendingWrites.set(2), e -> failures.incrementAndGet()));
            if (data) {
                watches.add(dcs.watchSecrets(0, () -> { }, e -> failures.incrementAndGet()));
            }
            dcs.put(new io.pgha.dcs.Keys(cluster).status(host), STATUS, lease);
            long now = System.nanoTime();
            nextKeepAlive = now + TimeUnit.SECONDS.toNanos(5);
            nextHeartbeat = now + TimeUnit.SECONDS.toNanos(60);
            nextPass = now + TimeUnit.SECONDS.toNanos(ThreadLocalRandom.current().nextInt(1, 30));
            started = true;
        }

        boolean started() {
            return started;
        }

        void tick() {
            long now = System.nanoTime();
            try {
                if (now >= nextKeepAlive) {
                    nextKeepAlive = now + TimeUnit.SECONDS.toNanos(5);
                    try {
                        dcs.keepAlive(lease);
                    } catch (io.pgha.dcs.DcsException.LeaseLost e) {
                        // As the agent's publisher does: a new lease, the status written again on it.
                        regrants.incrementAndGet();
                        lease = dcs.grantLease(15);
                        pendingWrites.set(Math.max(1, pendingWrites.get()));
                    }
                }
                if (pendingWrites.get() > 0 || now >= nextHeartbeat) {
                    if (pendingWrites.get() > 0) {
                        pendingWrites.decrementAndGet();
                    }
                    long t = System.nanoTime();
                    dcs.put(new io.pgha.dcs.Keys(cluster).status(host), STATUS, lease);
                    putMillis.add((System.nanoTime() - t) / 1e6);
                    writes.incrementAndGet();
                    nextHeartbeat = now + TimeUnit.SECONDS.toNanos(60);
                }
                if (now >= nextPass) {
                    dcs.admin().members();
                    nextPass = now + TimeUnit.SECONDS.toNanos(30);
                }
            } catch (Exception e) {
                if (failures.incrementAndGet() == 1) {
                    System.err.println(cluster + "/" + host + ": " + e);
                }
            }
        }

        void resetCounts() {
            putMillis.clear();
            writes.set(0);
            failures.set(0);
            regrants.set(0);
        }

        void close() {
            watches.forEach(w -> {
                try {
                    w.close();
                } catch (Exception e) {
                    // closing anyway
                }
            });
            if (dcs != null) {
                dcs.close();
            }
        }
    }

    static void await(java.util.function.BooleanSupplier condition, Duration timeout, String what) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + ": not within " + timeout.toSeconds() + " s");
            }
            Thread.sleep(200);
        }
    }

    static double percentile(List<Double> values, int p) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    static void add(Map<String, List<Double>> out, String metric, double value) {
        out.computeIfAbsent(metric, k -> new ArrayList<>()).add(value);
    }

    static void print(Map<String, List<Double>> figures, int failed) {
        StringBuilder sb = new StringBuilder(String.format("| %-66s | %-30s |%n", "median (min-max) n", ""));
        sb.append("|").append("-".repeat(68)).append("|").append("-".repeat(32)).append("|\n");
        figures.forEach((metric, values) -> {
            List<Double> sorted = values.stream().sorted().toList();
            int n = sorted.size();
            double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
            sb.append(String.format("| %-66s | %-30s |%n", metric, String.format("%.2f (%.2f-%.2f) n=%d", median,
                    sorted.get(0), sorted.get(n - 1), n)));
        });
        sb.append(String.format("| %-66s | %-30s |%n", "runs that failed (figures left out)", failed));
        System.err.print(sb);
        System.out.print(sb);
        System.out.flush();
    }
}
