package io.pgha.agent;

import io.pgha.backup.PgBackRestConfig;
import io.pgha.engine.ConvergeRun;
import io.pgha.model.AgentConfig;
import io.pgha.model.ClusterSpec;
import io.pgha.model.Health;
import io.pgha.model.HostIdentity;
import io.pgha.model.HostPaths;
import io.pgha.model.Role;
import io.pgha.pooler.PoolerConsole;
import io.pgha.probe.DiskSampler;
import io.pgha.probe.HealthReport;
import io.pgha.probe.HostHealth;
import io.pgha.resources.Status;
import io.pgha.roles.VipTrack;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the health, disk and fsync probes on their timers, on a thread of its own, and hands each result to the
 * reporter, and each new health reading to the loop (which acts on it: replica repair, the failsafe workaround).
 * Health is probed every ten seconds while all is well; every three while etcd is unreachable or the last probe
 * found a problem or something pending; every quarter second while things settle (for a while after a new spec or
 * a converge pass that changed something, until the probes read back that nothing is pending), so that a change
 * shows as applied as soon as it is in effect while an idle host costs its engines little. fsync every ten
 * minutes, every minute while slow, and first on the prober's own thread, so that it never holds up the start of
 * etcd. Any exception is logged and the next tick goes on.
 */
final class Prober implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Prober.class);
    private static final long TICK_MILLIS = 250;
    /** Each probe costs TLS handshakes with Patroni (which closes every connection) or etcd: slow while settled. */
    private static final long HEALTH_EVERY_NANOS = Duration.ofSeconds(10).toNanos();
    /**
     * While etcd is unreachable, or the last probe found a problem or something pending: what changes then (a
     * failover, a leader on failsafe calling this replica) is what the status and the loop must see soon.
     */
    private static final long TROUBLED_EVERY_NANOS = Duration.ofSeconds(3).toNanos();
    private static final long SETTLING_EVERY_NANOS = Duration.ofMillis(250).toNanos();
    /** Long enough for Patroni to reload Postgres or restart a member; a problem that lasts longer is not settling. */
    private static final long SETTLING_FOR_NANOS = Duration.ofSeconds(20).toNanos();
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
    private final BooleanSupplier etcdAway;
    private final HostHealth health;
    private final DiskSampler disks = new DiskSampler();
    private final Thread thread;
    private volatile boolean running = true;

    // Confined to the prober thread.
    private Probes latest = Probes.NONE;
    private long lastHealth;
    private long lastFsync;
    private Set<Role> fsyncRoles = Set.of();
    private Optional<ConvergeRun> lastPass = Optional.empty();
    private long settlingSince;
    private boolean etcdWasAway;
    private Optional<io.pgha.model.Maintenance> maintenanceSeen = Optional.empty();
    private final VipTrack vipTrack;
    private Optional<String> vipFault = Optional.empty();
    private final PoolerPauses pauses;
    /** Released to end a tick's wait early: something changed that the status should say now. */
    private final Semaphore probeNow;

    Prober(AgentConfig config, HostIdentity identity, HostPaths paths, HostHealth health, Supplier<AgentState> state,
           FsyncResults fsync, Consumer<Probes> report, Consumer<Health> probed,
           Supplier<Map<String, String>> etcdMembers, BooleanSupplier etcdAway, PoolerPauses pauses,
           Semaphore probeNow) {
        this.pauses = pauses;
        this.probeNow = probeNow;
        this.config = config;
        this.etcdMembers = etcdMembers;
        this.etcdAway = etcdAway;
        this.health = health;
        this.identity = identity;
        this.paths = paths;
        this.state = state;
        this.fsync = fsync;
        this.report = report;
        this.probed = probed;
        this.lastHealth = System.nanoTime() - HEALTH_EVERY_NANOS;
        this.lastFsync = System.nanoTime();
        this.settlingSince = System.nanoTime();
        this.vipTrack = new VipTrack(paths.vipTrackFile());
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
                if (probeNow.tryAcquire(TICK_MILLIS, TimeUnit.MILLISECONDS)) {
                    probeNow.drainPermits();
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void tick() {
        AgentState s = state.get();
        Set<Role> roles = s.roles();
        Probes probes = latest;
        long now = System.nanoTime();
        if (s.followedRevision() != probes.revision()
                || (!s.lastRun().equals(lastPass) && s.lastRun().map(r -> r.count(Status.CHANGED) > 0).orElse(false))) {
            settlingSince = now;
        }
        lastPass = s.lastRun();
        if (!s.maintenance().equals(maintenanceSeen)) {
            // Paused or resumed: Patroni's word on it is what pghactl pause and resume wait for.
            maintenanceSeen = s.maintenance();
            settlingSince = now;
        }
        boolean away = etcdAway.getAsBoolean();
        boolean etcdBack = etcdWasAway && !away;
        etcdWasAway = away;
        if (etcdBack) {
            // At once, then often: Patroni and etcd's own health catch up with etcd's return within seconds.
            settlingSince = now;
        }
        boolean settling = now - settlingSince < SETTLING_FOR_NANOS && !settled(probes, s);
        boolean troubled = away || !probes.health().problems().isEmpty()
                || !probes.health().pending().isEmpty();
        long every = settling ? SETTLING_EVERY_NANOS : troubled ? TROUBLED_EVERY_NANOS : HEALTH_EVERY_NANOS;
        // At once on a new spec too: what is in effect is compared with the spec of now; and when keepalived has
        // taken or given up the floating address since (a look at this host's interfaces, each tick).
        boolean fresh = now - lastHealth >= every || etcdBack || !roles.equals(probes.roles())
                || s.followedRevision() != probes.revision() || vipMoved(probes.health().health().vip())
                || pauseChanged(probes.health().health().pooler());
        if (fresh) {
            probes = new Probes(probeHealth(roles, s), roles, s.followedRevision(),
                    disks.sample(DataDirectories.of(paths, roles)));
            lastHealth = System.nanoTime();
            latest = probes;
            probed.accept(probes.health().health());
        }
        Set<Role> probed = s.probedRoles();
        long fsyncEvery = fsync.anySlow(s.diskPolicy(), probed) ? FSYNC_RECHECK_SLOW_NANOS : FSYNC_EVERY_NANOS;
        // Before a role is taken too: a disk too slow for etcd shows in the first statuses.
        if (System.nanoTime() - lastFsync >= fsyncEvery || !probed.equals(fsyncRoles)) {
            DataDirectories.of(paths, probed).forEach((name, dir) -> fsync.probe(name, dir, s.diskPolicy()));
            fsyncRoles = probed;
            lastFsync = System.nanoTime();
            fresh = true;
        }
        if (fresh) {
            report.accept(probes);
        }
    }

    /**
     * The probes read back, for the spec of now, that the pass's work is in effect and healthy, and on a data host
     * that Patroni is paused exactly while the cluster is.
     */
    private static boolean settled(Probes probes, AgentState s) {
        Health.Patroni patroni = probes.health().health().patroni();
        boolean pauseSeen = !s.roles().contains(Role.DATA)
                || patroni != null && patroni.isPaused() == s.maintenance().isPresent();
        return probes.revision() == s.followedRevision() && probes.roles().equals(s.roles())
                && s.appliedRevision() == s.followedRevision() && probes.health().pending().isEmpty()
                && probes.health().problems().isEmpty() && pauseSeen;
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
                case LB -> lb(spec);
                case BACKUP -> health.backup(identity.address(), PgBackRestConfig.TLS_PORT);
            });
        }
        return all;
    }

    private static boolean vipMoved(Health.Vip reported) {
        return reported != null && HostHealth.vipHeld(reported.address()).held() != reported.held();
    }

    /** The pooler was paused or resumed since the last probe: pghactl switchover waits for this host's word. */
    private boolean pauseChanged(Health.Pooler reported) {
        return reported != null && (!pauses.pausedFor().equals(Optional.ofNullable(reported.paused()))
                || reported.answering() && !pauses.failure().equals(Optional.ofNullable(reported.detail())));
    }

    /**
     * HAProxy, its pooler, and with a floating address who holds it here and what keepalived is told (see
     * {@link VipTrack}).
     */
    private HealthReport lb(Optional<ClusterSpec> spec) {
        Optional<ClusterSpec.Vip> vip = spec.flatMap(ClusterSpec::vip);
        // HAProxy's stats listen on loopback only.
        HealthReport report = health.lb("127.0.0.1", spec.map(x -> x.haproxy().statsPort()).orElse(0),
                spec.map(x -> x.hostsWith(Role.DATA).stream().map(ClusterSpec.Host::name).toList()).orElse(List.of()),
                vip);
        Optional<PoolerConsole> console = pauses.console();
        if (console.isPresent()) {
            report = report.and(HostHealth.pooler(console.get(), pauses.pausedFor(), pauses.failure()));
        }
        if (vip.isEmpty()) {
            return report;
        }
        Optional<String> fault;
        try {
            fault = vipTrack.update(report.health().haproxy());
        } catch (java.io.IOException e) {
            return report.and(new HealthReport(Health.NONE, List.of(e.getMessage())));
        }
        if (!fault.equals(vipFault)) {
            if (fault.isPresent()) {
                log.warn("standing down from the floating address {}: {}", vip.get().address(), fault.get());
            } else {
                log.info("may hold the floating address {} again", vip.get().address());
            }
            vipFault = fault;
        }
        return report.withVip(report.health().vip().withFault(fault.orElse(null)));
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
