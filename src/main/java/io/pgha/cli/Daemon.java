package io.pgha.cli;

import io.pgha.converge.ConvergeRun;
import io.pgha.converge.Converger;
import io.pgha.probe.EtcdHealth;
import io.pgha.report.HostStatus;
import io.pgha.report.StatusPublisher;
import io.pgha.resource.Result;
import io.pgha.resource.Status;
import io.pgha.role.DesiredState;
import io.pgha.role.HostContext;
import io.pgha.role.HostRoles;
import io.pgha.spec.AgentConfig;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
    private static final long HEALTH_EVERY_NANOS = Duration.ofSeconds(5).toNanos();

    private final AgentConfig config;
    private final HostContext host;
    private final Keys keys;
    private final ClusterSpecParser parser;
    private final SpecCache cache;
    private final HostRoles roles;
    private final Converger converger = new Converger();
    private final EtcdHealth etcdHealth = new EtcdHealth(Duration.ofSeconds(2));
    private final BlockingQueue<Boolean> wake = new ArrayBlockingQueue<>(1);
    private final String version;

    /** Guarded by this: the spec being followed and what the last converge did with it. */
    private Versioned desiredSpec;
    private ClusterSpec desired;
    private String specError = "";
    private long appliedRevision;
    private Optional<Role> role = Optional.empty();
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
        this.cache = new SpecCache(host.paths().stateDir());
        this.roles = new HostRoles(host);
    }

    /** Runs until the JVM is asked to stop; the converge loop runs on the calling thread. */
    void run() throws InterruptedException {
        loadCachedSpec();
        Thread main = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            running = false;
            wake.offer(true);
            try {
                main.join(TimeUnit.SECONDS.toMillis(60));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "shutdown"));
        try (EtcdStore store = new EtcdStore(config.clientUrls(), ETCD_TIMEOUT)) {
            Thread follower = background("spec-follower", () -> followSpec(store));
            Thread reporter = background("status", () -> reportStatus(store));
            convergeLoop();
            follower.interrupt();
            reporter.interrupt();
            reporter.join(TimeUnit.SECONDS.toMillis(10));
        } finally {
            host.supervisor().close();
            log.info("agent stopped; supervised programs keep running");
        }
    }

    private static Thread background(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private void loadCachedSpec() {
        cache.read().ifPresent(cached -> {
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
                current.ifPresent(this::onSpec);
                long from = current.map(Versioned::modRevision).orElse(0L);
                CountDownLatch broken = new CountDownLatch(1);
                try (AutoCloseable watch = store.watch(keys.spec(), from, v -> v.ifPresentOrElse(this::onSpec,
                        this::onSpecDeleted), err -> {
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

    private void onSpec(Versioned value) {
        synchronized (this) {
            if (desiredSpec != null && value.modRevision() <= desiredSpec.modRevision()) {
                return;
            }
        }
        try {
            ClusterSpec spec = parser.parse(value.value(), "spec rev " + value.modRevision());
            cache.write(value);
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

    private synchronized void onSpecDeleted() {
        specError = "the spec key " + keys.spec() + " was deleted; still following rev "
                + (desiredSpec == null ? "none" : desiredSpec.modRevision());
        log.warn("{}", specError);
    }

    private void convergeLoop() {
        while (running) {
            convergeOnce();
            try {
                wake.poll(config.driftSeconds(), TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void convergeOnce() {
        Optional<ClusterSpec> spec;
        long revision;
        synchronized (this) {
            spec = Optional.ofNullable(desired);
            revision = desiredSpec == null ? 0 : desiredSpec.modRevision();
        }
        try {
            DesiredState state = roles.desired(spec);
            ConvergeRun run = converger.apply(state.resources());
            synchronized (this) {
                role = state.role();
                warnings = state.warnings();
                lastRun = run;
                appliedRevision = revision;
                convergeError = run.failures().stream().map(r -> r.id() + ": " + r.message()).findFirst().orElse("");
            }
            if (run.count(Status.CHANGED) > 0 || !run.converged()) {
                log.info("converge of spec rev {}: {} changed, {} failed, {} ms", revision,
                        run.count(Status.CHANGED), run.count(Status.FAILED),
                        run.durationMillis());
            }
        } catch (IOException | RuntimeException e) {
            synchronized (this) {
                convergeError = e.getMessage();
            }
            log.error("converge of spec rev {} failed: {}", revision, e.toString());
        }
    }

    private void reportStatus(EtcdStore store) {
        StatusPublisher publisher = new StatusPublisher(store, keys.status(host.identity().name()), HEARTBEAT);
        Map<String, Object> health = Map.of();
        long lastHealth = 0;
        while (running) {
            if (System.nanoTime() - lastHealth >= HEALTH_EVERY_NANOS) {
                health = probeHealth();
                lastHealth = System.nanoTime();
            }
            try {
                publisher.publish(snapshot(health));
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

    private Map<String, Object> probeHealth() {
        Map<String, Object> health = new LinkedHashMap<>();
        Optional<Role> current;
        synchronized (this) {
            current = role;
        }
        if (current.equals(Optional.of(Role.ETCD))) {
            EtcdHealth.Result r = etcdHealth.probe("http://" + host.identity().address() + ":" + config.clientPort());
            health.put("etcd", Map.of("endpoint", r.endpoint(), "healthy", r.healthy(), "detail", r.detail()));
        }
        return health;
    }

    private synchronized HostStatus snapshot(Map<String, Object> health) {
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
                && processes.stream().allMatch(p -> p.state().equals(ProcessState.RUNNING));
        String error = !specError.isEmpty() ? specError : convergeError;
        return new HostStatus(host.identity().name(), host.identity().address(), role.map(Role::id).orElse(""),
                appliedRevision, converged, resources, processes, health, warnings, error, version,
                ProcessHandle.current().pid(), System.currentTimeMillis());
    }
}
