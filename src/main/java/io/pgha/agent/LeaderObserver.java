package io.pgha.agent;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.Versioned;
import io.pgha.model.ClusterSpec;
import io.pgha.model.EarlyFailover;
import io.pgha.model.FailoverQuorum;
import io.pgha.model.LeaderChange;
import io.pgha.model.LeaderVerdict;
import io.pgha.model.Role;
import io.pgha.postgres.LeaderChangeLog;
import io.pgha.probe.LeaderLook;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fast failover, on a thread of its own, while the spec turns it on and this host is not the leader: looks at the
 * leader's Postgres and Patroni four times a second, keeps its verdict in etcd on a short lease of its own, and, on a
 * data or etcd host once its own verdict is "unreachable", reads the others' and ends the leader's claim when
 * {@link FailoverQuorum} allows it. Ending the claim deletes Patroni's leader key on a compare (see
 * {@link Dcs#endLeaderClaim}); Patroni's own race then elects the successor, which in synchronous modes is a standby
 * that holds every acknowledged write. Nothing here promotes anything, and nothing happens while etcd does not answer:
 * the verdicts, the read and the delete all go through it.
 */
final class LeaderObserver implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LeaderObserver.class);
    private static final long LOOK_MILLIS = 250;
    /** With fast failover off: only whether a new spec turns it on is looked at. */
    private static final long OFF_MILLIS = 1000;
    static final Duration LOOK_TIMEOUT = Duration.ofMillis(400);
    /** The verdict's lease: an observer that dies or loses etcd stops counting within this. */
    static final long LEASE_TTL_SECONDS = 5;
    private static final long KEEPALIVE_NANOS = Duration.ofMillis(1500).toNanos();

    /** What the observer needs of the agent's state: the spec followed and the host's roles. */
    record View(ClusterSpec spec, Set<Role> roles) {
    }

    private final String host;
    private final Dcs dcs;
    private final EtcdOutage outage;
    private final Supplier<Optional<View>> view;
    private final LeaderLook look;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Optional<Versioned<String>> leaderKey = Optional.empty();
    // Confined to this thread.
    private KeyFollower<String> follower;
    private String watched = "";
    private long downSinceNanos;
    private long sinceMillis;
    private boolean unreachable;
    private LeaderVerdict written;
    private long lease;
    private long lastKeepAlive;
    private String lastReason = "";
    /** The leader key's revision this agent last tried to end: one try per claim. */
    private long triedRevision;

    LeaderObserver(String host, Dcs dcs, EtcdOutage outage, Supplier<Optional<View>> view, LeaderLook look) {
        this.host = host;
        this.dcs = dcs;
        this.outage = outage;
        this.view = view;
        this.look = look;
        this.thread = new Thread(this::run, "leader-observer");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void run() {
        try {
            while (running) {
                long start = System.nanoTime();
                long every = LOOK_MILLIS;
                try {
                    every = tick() ? LOOK_MILLIS : OFF_MILLIS;
                } catch (DcsException e) {
                    log.debug("fast failover: etcd: {}", e.getMessage());
                } catch (RuntimeException e) {
                    log.error("fast failover's observer failed: {}", AgentLoop.describe(e), e);
                }
                long spent = (System.nanoTime() - start) / 1_000_000;
                Thread.sleep(Math.max(10, every - spent));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            stop();
        }
    }

    /** One look; false while fast failover is off for this host. */
    private boolean tick() throws DcsException {
        Optional<View> v = view.get().filter(x -> x.spec().patroni().fastFailover() && !x.roles().isEmpty());
        if (v.isEmpty()) {
            stop();
            return false;
        }
        if (follower == null) {
            follower = new KeyFollower<>("leader key", dcs::leaderKey, dcs::watchLeaderKey,
                    value -> leaderKey = value, outage);
        }
        ClusterSpec spec = v.get().spec();
        Optional<Versioned<String>> key = leaderKey;
        Optional<ClusterSpec.Host> leader = key.map(Versioned::value).filter(name -> !name.equals(host))
                .map(name -> spec.hosts().get(name));
        if (leader.isEmpty()) {
            // No leader, or this host leads: nothing to look at; a verdict on a former leader would mislead.
            watched = "";
            withdraw();
            return true;
        }
        String name = leader.get().name();
        if (!name.equals(watched)) {
            watched = name;
            lastReason = "";
            downSinceNanos = 0;
            unreachable = false;
            sinceMillis = System.currentTimeMillis();
        }
        Optional<String> postgres = look.postgres(leader.get().address());
        Optional<String> patroni = postgres.isEmpty() ? Optional.empty() : look.patroni(leader.get().address());
        long now = System.nanoTime();
        if (postgres.isEmpty() || patroni.isEmpty()) {
            if (downSinceNanos != 0 || unreachable) {
                log.info("fast failover: leader {} answers again", name);
                sinceMillis = System.currentTimeMillis();
            }
            downSinceNanos = 0;
            unreachable = false;
        } else if (downSinceNanos == 0) {
            downSinceNanos = now;
            sinceMillis = System.currentTimeMillis();
            log.info("fast failover: leader {} does not answer (postgres: {}; patroni: {})", name, postgres.get(),
                    patroni.get());
        } else if (!unreachable && now - downSinceNanos
                >= Duration.ofSeconds(spec.patroni().fastFailoverAfterSeconds()).toNanos()) {
            unreachable = true;
            log.warn("fast failover: leader {} unreachable for {} s", name, spec.patroni().fastFailoverAfterSeconds());
        }
        publish(new LeaderVerdict(host, name, !unreachable, sinceMillis, postgres.orElse("accepts"),
                patroni.orElse(postgres.isEmpty() ? "not asked" : "answers")));
        if (unreachable && key.get().modRevision() != triedRevision
                && (v.get().roles().contains(Role.DATA) || v.get().roles().contains(Role.ETCD))) {
            decide(spec, key.get());
        }
        return true;
    }

    private void publish(LeaderVerdict verdict) throws DcsException {
        long now = System.nanoTime();
        if (lease != 0 && now - lastKeepAlive >= KEEPALIVE_NANOS) {
            lastKeepAlive = now;
            try {
                dcs.keepAlive(lease);
            } catch (DcsException.LeaseLost e) {
                lease = 0;
            }
        }
        if (lease != 0 && verdict.sameWord(written)) {
            return;
        }
        if (lease == 0) {
            lease = dcs.grantLease(LEASE_TTL_SECONDS);
            lastKeepAlive = now;
        }
        dcs.putVerdict(verdict, lease);
        written = verdict;
    }

    private void decide(ClusterSpec spec, Versioned<String> key) throws DcsException {
        FailoverQuorum.Decision d = FailoverQuorum.decide(spec, key.value(), dcs.verdicts(),
                dcs.hostStatuses().patroniVersions());
        if (!d.act()) {
            if (!d.reason().equals(lastReason)) {
                log.info("fast failover: not ending {}'s claim: {}", key.value(), d.reason());
                lastReason = d.reason();
            }
            return;
        }
        EarlyFailover record = new EarlyFailover(key.value(), host, System.currentTimeMillis(), d.evidence());
        triedRevision = key.modRevision();
        if (dcs.endLeaderClaim(key, record, spec.patroni().ttl())) {
            log.warn("fast failover: ended {}'s claim to lead: {}; evidence: {}", key.value(), d.reason(),
                    record.evidence().stream().map(LeaderVerdict::describe).toList());
            LeaderChangeLog.into(dcs, log::warn).record(new LeaderChange(LeaderChange.EARLY_FAILOVER, key.value(),
                    "", record.at(), "agent on " + host, d.reason(), 0));
        } else {
            log.info("fast failover: {}'s claim not ended: another agent ended it first, it was taken again, or an"
                    + " early failover happened within the last {} s (ttl)", key.value(), spec.patroni().ttl());
        }
    }

    /** Takes this host's verdict out of etcd (its lease revoked): it no longer observes. */
    private void withdraw() {
        if (lease != 0) {
            try {
                dcs.revokeLease(lease);
            } catch (DcsException e) {
                log.debug("fast failover: verdict lease not revoked: {}", e.getMessage());
            }
            lease = 0;
            written = null;
        }
    }

    private void stop() {
        if (follower != null) {
            follower.close();
            follower = null;
            leaderKey = Optional.empty();
        }
        watched = "";
        withdraw();
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
