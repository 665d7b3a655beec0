package io.pgha.agent;

import io.pgha.model.AgentConfig;
import io.pgha.model.ClusterSpec;
import io.pgha.model.Health;
import io.pgha.model.HostIdentity;
import io.pgha.model.HostPaths;
import io.pgha.model.Role;
import io.pgha.probe.DiskSampler;
import io.pgha.probe.HealthReport;
import io.pgha.probe.HostHealth;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the health, disk and fsync probes on their timers, on a thread of its own, and hands each result to the
 * reporter, and each new health reading to the loop (which acts on it: replica repair, the failsafe workaround). Health is probed every few seconds and at once when the roles change (a data host learns its role from
 * the spec); fsync every ten minutes, every minute while slow. Any exception is logged and the next tick goes on.
 */
final class Prober implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Prober.class);
    private static final long TICK_MILLIS = 1000;
    private static final long HEALTH_EVERY_NANOS = Duration.ofSeconds(3).toNanos();
    private static final long FSYNC_EVERY_NANOS = Duration.ofMinutes(10).toNanos();
    /** A slow result is checked again soon: start-up (initdb, etcd bootstrap) makes any disk look slow for a while. */
    private static final long FSYNC_RECHECK_SLOW_NANOS = Duration.ofMinutes(1).toNanos();

    private final AgentConfig config;
    private final HostIdentity identity;
    private final HostPaths paths;
    private final Supplier<AgentState> state;
    private final FsyncResults fsync;
    private final Consumer<Probes> report;
    private final Consumer<Health> probed;
    private final Supplier<Map<String, String>> etcdMembers;
    private final HostHealth health;
    private final DiskSampler disks = new DiskSampler();
    private final Thread thread;
    private volatile boolean running = true;

    // Confined to the prober thread.
    private Probes latest = Probes.NONE;
    private long lastHealth;
    private long lastFsync;
    private Set<Role> fsyncRoles;

    Prober(AgentConfig config, HostIdentity identity, HostPaths paths, HostHealth health, Supplier<AgentState> state,
           FsyncResults fsync, Consumer<Probes> report, Consumer<Health> probed,
           Supplier<Map<String, String>> etcdMembers) {
        this.config = config;
        this.etcdMembers = etcdMembers;
        this.health = health;
        this.identity = identity;
        this.paths = paths;
        this.state = state;
        this.fsync = fsync;
        this.report = report;
        this.probed = probed;
        // Before a role is taken: a disk too slow for etcd shows in the very first status.
        AgentState first = state.get();
        this.fsyncRoles = first.probedRoles();
        DataDirectories.of(paths, fsyncRoles).forEach((name, dir) -> fsync.probe(name, dir, first.diskPolicy()));
        this.lastFsync = System.nanoTime();
        this.lastHealth = System.nanoTime() - HEALTH_EVERY_NANOS;
        this.thread = new Thread(this::run, "prober");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void run() {
        while (running) {
            try {
                tick();
            } catch (RuntimeException e) {
                log.error("probing failed: {}", AgentLoop.describe(e), e);
            }
            try {
                Thread.sleep(TICK_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void tick() {
        AgentState s = state.get();
        Set<Role> roles = s.roles();
        Probes probes = latest;
        // At once on a new spec too: what is in effect is compared with the spec of now.
        if (System.nanoTime() - lastHealth >= HEALTH_EVERY_NANOS || !roles.equals(probes.roles())
                || s.followedRevision() != probes.revision()) {
            probes = new Probes(probeHealth(roles, s), roles, s.followedRevision(),
                    disks.sample(DataDirectories.of(paths, roles)));
            lastHealth = System.nanoTime();
            latest = probes;
            probed.accept(probes.health().health());
        }
        Set<Role> probed = s.probedRoles();
        fsync.retain(DataDirectories.of(paths, probed).keySet());
        long fsyncEvery = fsync.anySlow(s.diskPolicy()) ? FSYNC_RECHECK_SLOW_NANOS : FSYNC_EVERY_NANOS;
        if (System.nanoTime() - lastFsync >= fsyncEvery || !probed.equals(fsyncRoles)) {
            DataDirectories.of(paths, probed).forEach((name, dir) -> fsync.probe(name, dir, s.diskPolicy()));
            fsyncRoles = probed;
            lastFsync = System.nanoTime();
        }
        report.accept(probes);
    }

    /** Each role's probes; a host with several roles reports every engine's part. */
    private HealthReport probeHealth(Set<Role> roles, AgentState s) {
        Optional<ClusterSpec> spec = s.spec();
        Optional<String> monitor = s.secrets().flatMap(x -> x.get("monitor"));
        HealthReport all = HealthReport.NONE;
        for (Role role : roles) {
            all = all.and(switch (role) {
                case ETCD -> health.etcd(identity.name(), etcdMembers.get());
                case DATA -> health.data(identity.name(), identity.address(), ClusterSpec.PATRONI_PORT,
                        ClusterSpec.POSTGRES_PORT, monitor, spec);
                // HAProxy's stats listen on loopback only.
                case LB -> health.lb("127.0.0.1", spec.map(x -> x.haproxy().statsPort()).orElse(0),
                        spec.map(x -> x.hostsWith(Role.DATA).stream().map(ClusterSpec.Host::name).toList())
                                .orElse(List.of()));
            });
        }
        return all;
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
