package io.pgha.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.pgha.converge.ConvergeRun;
import io.pgha.converge.Converger;
import io.pgha.converge.RollingRestart;
import io.pgha.probe.Colocation;
import io.pgha.probe.DiskSampler;
import io.pgha.probe.FsyncProbe;
import io.pgha.probe.Health;
import io.pgha.probe.HostHealth;
import io.pgha.probe.PatroniClient;
import io.pgha.http.ApiServer;
import io.pgha.report.AgentMetrics;
import io.pgha.report.HostStatus;
import io.pgha.report.StatusLine;
import io.pgha.report.StatusPublisher;
import io.pgha.resource.Result;
import io.pgha.resource.Status;
import io.pgha.role.DesiredState;
import io.pgha.role.HostContext;
import io.pgha.role.HostRoles;
import io.pgha.role.PatroniConfig;
import io.pgha.spec.AgentConfig;
import io.pgha.spec.ClusterSecrets;
import io.pgha.spec.ClusterSpec;
import io.pgha.spec.ClusterSpecParser;
import io.pgha.spec.InvalidSpecException;
import io.pgha.spec.Role;
import io.pgha.store.EtcdStore;
import io.pgha.store.Keys;
import io.pgha.store.StoreException;
import io.pgha.store.Versioned;
import io.pgha.supervise.ProcessState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent: follows the spec key, converges the host on every change and every drift interval (one converge at a
 * time), and publishes the host's status. etcd being unreachable only delays news: what runs keeps running.
 */
final class Daemon {
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);
    private static final Duration ETCD_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration HEARTBEAT = Duration.ofSeconds(60);
    private static final long HEALTH_EVERY_NANOS = Duration.ofSeconds(3).toNanos();
    /** While a rolling restart is under way here, converge passes come this often instead of every drift interval. */
    private static final int ROLLOUT_POLL_SECONDS = 2;
    private static final long RESTART_LOCK_TTL = 30;
    private static final int FSYNC_WRITES = 200;
    private static final long FSYNC_EVERY_NANOS = Duration.ofMinutes(10).toNanos();
    /** A slow result is checked again sooner: start-up (initdb, etcd bootstrap) makes any disk look slow for a while. */
    private static final long FSYNC_RECHECK_SLOW_NANOS = Duration.ofMinutes(1).toNanos();

    /** An fsync probe of one data directory. */
    private record FsyncReport(Path directory, FsyncProbe.Result result) {
    }

    private final AgentConfig config;
    private final HostContext host;
    private final Keys keys;
    private final ClusterSpecParser parser;
    private final StateCache specCache;
    private final StateCache secretsCache;
    private final HostRoles hostRoles;
    private final Converger converger = new Converger();
    private final HostHealth health = new HostHealth();
    private final DiskSampler disks = new DiskSampler();
    private final FsyncProbe fsyncProbe = new FsyncProbe(FSYNC_WRITES, System::nanoTime);
    /** The last fsync probe of each data directory by name; guarded by itself (probes run on two threads). */
    private final Map<String, FsyncReport> fsync = new LinkedHashMap<>();
    private final BlockingQueue<Boolean> wake = new ArrayBlockingQueue<>(1);
    private final AgentMetrics metrics = new AgentMetrics();
    /** The status last assembled, for the HTTP endpoint. */
    private volatile HostStatus latest;
    private final String version;

    /** Guarded by this: the spec being followed and what the last converge did with it. */
    private Versioned desiredSpec;
    private ClusterSpec desired;
    private ClusterSecrets secrets;
    private String specError = "";
    private long appliedRevision;
    private Set<Role> roles = Set.of();
    private ConvergeRun lastRun;
    private List<String> warnings = List.of();
    private String convergeError = "";
    private volatile boolean running = true;

    Daemon(AgentConfig config, HostContext host, String version) {
        this.config = config;
        this.host = host;
        this.version = version;
        this.keys = new Keys(config.cluster());
        this.parser = new ClusterSpecParser(config);
        this.specCache = StateCache.spec(host.paths().stateDir());
        this.secretsCache = StateCache.secrets(host.paths().stateDir());
        this.hostRoles = new HostRoles(host);
    }

    /** Runs until the JVM is asked to stop; the converge loop runs on the calling thread. */
    void run() throws InterruptedException {
        loadCaches();
        CountDownLatch finished = new CountDownLatch(1);
        // Waits for the current converge pass to end. Not a join on the main thread: after run() returns, main
        // calls System.exit, which waits for this very hook.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            running = false;
            wake.offer(true);
            try {
                finished.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "shutdown"));
        Optional<ApiServer> api = AgentApi.start(config, host.identity(), () -> latest, metrics);
        try (EtcdStore store = new EtcdStore(config.clientUrls(), ETCD_TIMEOUT)) {
            // Before a role is taken: a disk too slow for etcd shows in the very first status.
            probeFsync(expectedRoles());
            Thread follower = background("spec-follower", () -> followSpec(store));
            Thread reporter = background("status", () -> reportStatus(store));
            convergeLoop(store);
            follower.interrupt();
            reporter.interrupt();
            reporter.join(TimeUnit.SECONDS.toMillis(10));
        } finally {
            api.ifPresent(ApiServer::close);
            host.supervisor().close();
            log.info("agent stopped; supervised programs keep running");
            finished.countDown();
        }
    }

    private static Thread background(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private void loadCaches() {
        secretsCache.read().ifPresent(cached -> {
            try {
                secrets = ClusterSecrets.fromJson(cached.value());
            } catch (JsonProcessingException e) {
                log.warn("ignoring the cached secrets: {}", e.getOriginalMessage());
            }
        });
        specCache.read().ifPresent(cached -> {
            try {
                ClusterSpec spec = parser.parse(cached.value(), "cached spec rev " + cached.modRevision());
                synchronized (this) {
                    desiredSpec = cached;
                    desired = spec;
                }
                log.info("using cached spec rev {} until etcd answers", cached.modRevision());
            } catch (InvalidSpecException e) {
                log.warn("ignoring the cached spec: {}", e.getMessage());
            }
        });
    }

    /** Reads the spec key and watches it; after a watch error, reads it again. Bounded waits throughout. */
    private void followSpec(EtcdStore store) {
        long backoffMillis = 500;
        while (running) {
            try {
                Optional<Versioned> current = store.get(keys.spec());
                if (current.isPresent()) {
                    onSpec(store, current.get());
                }
                long from = current.map(Versioned::modRevision).orElse(0L);
                CountDownLatch broken = new CountDownLatch(1);
                try (AutoCloseable watch = store.watch(keys.spec(), from,
                        v -> v.ifPresentOrElse(value -> onSpec(store, value), this::onSpecDeleted), err -> {
                            log.warn("spec watch interrupted: {}", err.getMessage());
                            broken.countDown();
                        })) {
                    backoffMillis = 500;
                    broken.await();
                }
            } catch (StoreException e) {
                log.debug("spec not readable yet: {}", e.getMessage());
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                log.warn("spec watch failed: {}", e.toString());
            }
            try {
                Thread.sleep(backoffMillis);
            } catch (InterruptedException e) {
                return;
            }
            backoffMillis = Math.min(backoffMillis * 2, 5000);
        }
    }

    private void onSpec(EtcdStore store, Versioned value) {
        synchronized (this) {
            if (desiredSpec != null && value.modRevision() <= desiredSpec.modRevision()) {
                return;
            }
        }
        try {
            ClusterSpec spec = parser.parse(value.value(), "spec rev " + value.modRevision());
            refreshSecrets(store);
            specCache.write(value);
            synchronized (this) {
                desiredSpec = value;
                desired = spec;
                specError = "";
            }
            log.info("spec rev {} received", value.modRevision());
            wake.offer(true);
        } catch (InvalidSpecException e) {
            synchronized (this) {
                specError = "spec rev " + value.modRevision() + " refused, still following rev "
                        + (desiredSpec == null ? "none" : desiredSpec.modRevision()) + ": " + e.getMessage();
            }
            log.error("{}", specError);
        } catch (IOException e) {
            log.error("cannot cache spec rev {}: {}", value.modRevision(), e.getMessage());
        }
    }

    /** The secrets never change once made; read them once, and keep a root-only copy for etcd outages. */
    private void refreshSecrets(EtcdStore store) {
        synchronized (this) {
            if (secrets != null) {
                return;
            }
        }
        try {
            Optional<Versioned> stored = store.get(keys.secrets());
            if (stored.isPresent()) {
                ClusterSecrets parsed = ClusterSecrets.fromJson(stored.get().value());
                secretsCache.write(stored.get());
                synchronized (this) {
                    secrets = parsed;
                }
            }
        } catch (StoreException | IOException e) {
            log.warn("cluster secrets not read: {}", e.getMessage());
        }
    }

    private synchronized void onSpecDeleted() {
        specError = "the spec key " + keys.spec() + " was deleted; still following rev "
                + (desiredSpec == null ? "none" : desiredSpec.modRevision());
        log.warn("{}", specError);
    }

    /** How a converge pass ended, which decides when the next one runs. */
    private enum Pass { SETTLED, FAILED, ROLLING_OUT }

    /**
     * Passes run on a spec change, every drift interval, every few seconds during a rolling restart, and after a
     * failed pass with a backoff from 1 s up to the drift interval (a program that just started is often not
     * answering yet on the first pass).
     */
    private void convergeLoop(EtcdStore store) {
        int failures = 0;
        while (running) {
            Pass pass = convergeOnce(store);
            failures = pass == Pass.FAILED ? failures + 1 : 0;
            long waitSeconds = switch (pass) {
                case SETTLED -> config.driftSeconds();
                case ROLLING_OUT -> ROLLOUT_POLL_SECONDS;
                case FAILED -> Math.min(config.driftSeconds(), 1L << Math.min(failures - 1, 5));
            };
            try {
                wake.poll(waitSeconds, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private Pass convergeOnce(EtcdStore store) {
        Optional<ClusterSpec> spec;
        Optional<ClusterSecrets> currentSecrets;
        long revision;
        synchronized (this) {
            spec = Optional.ofNullable(desired);
            currentSecrets = Optional.ofNullable(secrets);
            revision = desiredSpec == null ? 0 : desiredSpec.modRevision();
        }
        if (spec.isPresent() && currentSecrets.isEmpty()) {
            refreshSecrets(store);
            synchronized (this) {
                currentSecrets = Optional.ofNullable(secrets);
            }
        }
        try {
            DesiredState state = hostRoles.desired(spec, currentSecrets, refusals(spec));
            ConvergeRun run = converger.apply(state.resources());
            metrics.recordConverge(run);
            String refusal = state.refused().entrySet().stream()
                    .map(e -> "refusing role " + e.getKey().id() + ": " + e.getValue()).findFirst().orElse("");
            synchronized (this) {
                roles = state.roles();
                warnings = state.warnings();
                lastRun = run;
                appliedRevision = revision;
                convergeError = run.failures().stream().map(r -> r.id() + ": " + r.message()).findFirst()
                        .orElse(refusal);
            }
            if (run.count(Status.CHANGED) > 0 || !run.converged()) {
                log.info("converge of spec rev {}: {} changed, {} failed, {} ms", revision, run.count(Status.CHANGED),
                        run.count(Status.FAILED), run.durationMillis());
            }
            if (!refusal.isEmpty()) {
                log.warn("{}", refusal);
            }
            if (!run.converged() || !refusal.isEmpty()) {
                return Pass.FAILED;
            }
            if (state.has(Role.DATA) && rollingRestart(store).step()) {
                return Pass.ROLLING_OUT;
            }
            return Pass.SETTLED;
        } catch (IOException | RuntimeException e) {
            synchronized (this) {
                convergeError = e.getMessage();
            }
            log.error("converge of spec rev {} failed: {}", revision, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Pass.FAILED;
    }

    private RollingRestart rollingRestart(EtcdStore store) {
        PatroniClient patroni = new PatroniClient(host.identity().address(), ClusterSpec.PATRONI_PORT,
                Duration.ofSeconds(5));
        return new RollingRestart(host.identity().name(), patroni,
                new EtcdRestartLock(store, keys.restartLock(), host.identity().name(), RESTART_LOCK_TTL));
    }

    private synchronized Set<Role> currentRoles() {
        return roles;
    }

    /** The roles this host will converge next: from the spec it follows, else its etcd membership. */
    private synchronized Set<Role> expectedRoles() {
        return hostRoles.roles(Optional.ofNullable(desired));
    }

    private synchronized ClusterSpec.Disk diskPolicy() {
        return desired == null ? ClusterSpec.Disk.DEFAULT : desired.disk();
    }

    /** The directory whose device matters for a role: etcd's data, Postgres' data (with its WAL); none for lb. */
    private Optional<Map.Entry<String, Path>> dataDirectory(Role role) {
        return switch (role) {
            case ETCD -> Optional.of(Map.entry("etcd data", host.paths().dataDir("etcd")));
            case DATA -> Optional.of(Map.entry("postgres data", host.paths().dataDir("postgresql")));
            case LB -> Optional.empty();
        };
    }

    private Map<String, Path> dataDirectories(Set<Role> roles) {
        Map<String, Path> dirs = new LinkedHashMap<>();
        roles.forEach(r -> dataDirectory(r).ifPresent(e -> dirs.put(e.getKey(), e.getValue())));
        return dirs;
    }

    /**
     * With {@code disk.on_slow_fsync: refuse}, each etcd or data role this host has not taken yet is measured afresh
     * before it is taken, and refused on a slow disk. A role already taken is never given up.
     */
    private Map<Role, String> refusals(Optional<ClusterSpec> spec) throws IOException {
        if (spec.isEmpty() || !spec.get().disk().refuseSlowFsync()) {
            return Map.of();
        }
        Map<Role, String> refused = new EnumMap<>(Role.class);
        for (Role role : hostRoles.roles(spec)) {
            Optional<Map.Entry<String, Path>> dir = dataDirectory(role);
            if (dir.isEmpty() || hostRoles.taken(role, spec)) {
                continue;
            }
            Optional<FsyncReport> report = probeFsync(dir.get().getKey(), dir.get().getValue(), spec.get().disk());
            if (report.isEmpty()) {
                refused.put(role, "the fsync probe in " + dir.get().getValue() + " failed (see the agent's log),"
                        + " and disk.on_slow_fsync is refuse");
            } else if (spec.get().disk().slow(report.get().result().p99Millis())) {
                refused.put(role, String.format(Locale.ROOT, "fsync p99 %.2f ms in %s is above"
                        + " disk.fsync_p99_limit_ms %s (disk.on_slow_fsync: refuse)", report.get().result().p99Millis(),
                        report.get().directory(), spec.get().disk().limitText()));
            }
        }
        return refused;
    }

    private void probeFsync(Set<Role> roles) {
        ClusterSpec.Disk policy = diskPolicy();
        dataDirectories(roles).forEach((name, dir) -> probeFsync(name, dir, policy));
    }

    private boolean fsyncSlow() {
        ClusterSpec.Disk policy = diskPolicy();
        synchronized (fsync) {
            return fsync.values().stream().anyMatch(f -> policy.slow(f.result().p99Millis()));
        }
    }

    private Optional<FsyncReport> probeFsync(String name, Path dir, ClusterSpec.Disk policy) {
        // The data directory may not exist before the first converge: probe where it will be.
        Path at = dir;
        while (at.getParent() != null && !Files.isDirectory(at)) {
            at = at.getParent();
        }
        try {
            FsyncReport report = new FsyncReport(at, fsyncProbe.run(at));
            synchronized (fsync) {
                fsync.put(name, report);
            }
            if (policy.slow(report.result().p99Millis())) {
                log.warn("fsync p99 {} ms in {} is above the {} ms limit", report.result().p99Millis(), at,
                        policy.limitText());
            }
            return Optional.of(report);
        } catch (IOException e) {
            log.warn("fsync probe in {} failed: {}", at, e.getMessage());
            return Optional.empty();
        }
    }

    private void reportStatus(EtcdStore store) {
        StatusPublisher publisher = new StatusPublisher(store, keys.status(host.identity().name()), HEARTBEAT);
        SystemdNotifier systemd = new SystemdNotifier();
        Health current = Health.NONE;
        Map<String, DiskSampler.Report> disk = Map.of();
        // nanoTime has no fixed origin: start one interval in the past so that the first pass probes.
        long lastHealth = System.nanoTime() - HEALTH_EVERY_NANOS;
        long lastFsync = System.nanoTime();
        Set<Role> probedRoles = expectedRoles();
        Set<Role> healthRoles = Set.of();
        while (running) {
            Set<Role> roles = currentRoles();
            // Probes run on a timer, and at once when the roles change: a data host learns its role from the spec.
            if (System.nanoTime() - lastHealth >= HEALTH_EVERY_NANOS || !roles.equals(healthRoles)) {
                current = probeHealth(roles);
                disk = disks.sample(dataDirectories(roles));
                healthRoles = roles;
                lastHealth = System.nanoTime();
            }
            long fsyncEvery = fsyncSlow() ? FSYNC_RECHECK_SLOW_NANOS : FSYNC_EVERY_NANOS;
            if (System.nanoTime() - lastFsync >= fsyncEvery || !roles.equals(probedRoles)) {
                probeFsync(roles);
                probedRoles = roles;
                lastFsync = System.nanoTime();
            }
            HostStatus status = snapshot(current, disk);
            latest = status;
            metrics.update(status);
            boolean firstPassDone;
            synchronized (this) {
                firstPassDone = lastRun != null;
            }
            // Published even with etcd down: systemd then still shows what the host is doing.
            systemd.update(StatusLine.of(status), firstPassDone);
            try {
                publisher.publish(status);
            } catch (StoreException e) {
                log.debug("status not published: {}", e.getMessage());
            }
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                break;
            }
        }
        publisher.withdraw();
    }

    /** Each role's probes; their details sit under separate keys (etcd, patroni, postgres, haproxy). */
    private Health probeHealth(Set<Role> current) {
        Optional<ClusterSpec> spec;
        Optional<String> superuser;
        synchronized (this) {
            spec = Optional.ofNullable(desired);
            superuser = Optional.ofNullable(secrets).flatMap(s -> s.get("superuser"));
        }
        String address = host.identity().address();
        Map<String, Object> details = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (Role role : current) {
            Health h = switch (role) {
                case ETCD -> health.etcd(host.identity().name(), memberUrls());
                case DATA -> health.data(host.identity().name(), address, ClusterSpec.PATRONI_PORT,
                        ClusterSpec.POSTGRES_PORT, superuser, spec.map(s -> s.patroni().synchronousMode()).orElse(false));
                case LB -> health.lb(address, spec.map(s -> s.haproxy().statsPort()).orElse(0));
            };
            details.putAll(h.details());
            problems.addAll(h.problems());
        }
        return new Health(details, problems);
    }

    private Map<String, String> memberUrls() {
        Map<String, String> urls = new LinkedHashMap<>();
        config.members().forEach((name, address) -> urls.put(name, "http://" + address + ":" + config.clientPort()));
        return urls;
    }

    private static List<Map<String, Object>> diskLines(Map<String, DiskSampler.Report> disk) {
        List<Map<String, Object>> lines = new ArrayList<>();
        disk.forEach((name, r) -> {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("name", name);
            line.put("path", r.path().toString());
            line.put("device", r.device());
            r.rates().ifPresent(rates -> {
                line.put("reads_per_s", round(rates.readsPerSecond()));
                line.put("writes_per_s", round(rates.writesPerSecond()));
                line.put("read_bytes_per_s", Math.round(rates.readBytesPerSecond()));
                line.put("write_bytes_per_s", Math.round(rates.writeBytesPerSecond()));
                line.put("busy_pct", round(rates.busyPercent()));
                line.put("queue", rates.queueLength());
            });
            line.put("free_bytes", r.freeBytes());
            line.put("total_bytes", r.totalBytes());
            lines.add(line);
        });
        return lines;
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    private synchronized HostStatus snapshot(Health health, Map<String, DiskSampler.Report> disk) {
        List<HostStatus.ResourceLine> resources = new ArrayList<>();
        if (lastRun != null) {
            for (Result r : lastRun.results()) {
                resources.add(new HostStatus.ResourceLine(r.id(), r.status().id(), r.message()));
            }
        }
        List<HostStatus.ProcessLine> processes = new ArrayList<>();
        for (ProcessState p : host.supervisor().states()) {
            processes.add(new HostStatus.ProcessLine(p.name(), p.state(), p.pid(), p.restarts(), p.lastExit()));
        }
        boolean converged = lastRun != null && lastRun.converged() && specError.isEmpty()
                && desiredSpec != null && appliedRevision == desiredSpec.modRevision()
                && processes.stream().allMatch(p -> p.state().equals(ProcessState.RUNNING))
                // Healthy only once the roles' probes have looked, not merely because nothing was probed yet.
                && (roles.isEmpty() || !health.details().isEmpty())
                && health.problems().isEmpty();
        String error = !specError.isEmpty() ? specError : convergeError;
        List<String> allWarnings = new ArrayList<>(warnings);
        allWarnings.addAll(Colocation.warnings(disk));
        List<Map<String, Object>> fsyncLines = new ArrayList<>();
        // The roles converged, and before the first pass the roles expected: a slow disk shows from the start.
        Set<Role> probed = EnumSet.noneOf(Role.class);
        probed.addAll(roles);
        probed.addAll(hostRoles.roles(Optional.ofNullable(desired)));
        // Judged against the spec of now: a changed limit shows without a new probe.
        ClusterSpec.Disk policy = diskPolicy();
        synchronized (fsync) {
            fsync.keySet().retainAll(dataDirectories(probed).keySet());
            fsync.forEach((name, f) -> {
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("name", name);
                line.put("directory", f.directory().toString());
                line.put("p50_ms", Math.round(f.result().p50Millis() * 100) / 100.0);
                line.put("p99_ms", Math.round(f.result().p99Millis() * 100) / 100.0);
                line.put("limit_ms", policy.fsyncP99LimitMillis());
                fsyncLines.add(line);
                if (policy.slow(f.result().p99Millis())) {
                    allWarnings.add(String.format(Locale.ROOT, "fsync p99 %.2f ms in %s is above the %s ms limit"
                            + " (disk.fsync_p99_limit_ms; etcd's guidance is 10 ms)", f.result().p99Millis(),
                            f.directory(), policy.limitText()));
                }
            });
        }
        return new HostStatus(host.identity().name(), host.identity().address(), Role.join(roles),
                appliedRevision, converged, resources, processes, health.details(), health.problems(), diskLines(disk),
                fsyncLines, allWarnings, error, version, ProcessHandle.current().pid(), System.currentTimeMillis());
    }
}
