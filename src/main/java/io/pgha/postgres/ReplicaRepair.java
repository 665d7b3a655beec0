package io.pgha.postgres;

import io.pgha.dcs.Lock;
import io.pgha.model.Health;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Repairs a replica that does not stream from a healthy leader for longer than the spec allows (a diverged
 * timeline, a failed rewind, stuck in startup, crashing again moments after each start): Patroni's own means come
 * first (pg_rewind, and removing the data directory when a rewind fails or timelines diverge, both in patroni.yml);
 * when the replica is still not streaming after the allowed time, its agent has Patroni reinitialise it from the
 * leader. Only ever on a replica, only while the leader runs (it holds every acknowledged write), one member at a
 * time under the cluster restart lock. Called on every converge pass of a data host with the last probe's view of
 * it.
 */
public final class ReplicaRepair {
    private static final Logger log = LoggerFactory.getLogger(ReplicaRepair.class);
    /** A clone of a large database takes long; a bound all the same. */
    private static final Duration CLONE_LIMIT = Duration.ofMinutes(30);
    private static final Duration NOTE_KEPT = Duration.ofHours(1);
    /** How long a replica being watched must stream without a break to count as recovered. */
    static final Duration STEADY = Duration.ofSeconds(30);

    private final String name;
    private final PatroniApi patroni;
    private final Lock lock;
    private final LongSupplier clock;
    private boolean watching;
    private long notStreamingSince;
    private boolean streamingSeen;
    private long streamingSince;
    private String lastRepair = "";
    private Instant lastRepairAt = Instant.EPOCH;

    public ReplicaRepair(String name, PatroniApi patroni, Lock lock) {
        this(name, patroni, lock, System::nanoTime);
    }

    /** @param clock nanoseconds, as {@link System#nanoTime()} */
    ReplicaRepair(String name, PatroniApi patroni, Lock lock, LongSupplier clock) {
        this.name = name;
        this.patroni = patroni;
        this.lock = lock;
        this.clock = clock;
    }

    /**
     * Looks at this member once more; true while it is a replica that does not stream (call again soon).
     *
     * @param health what the probes last saw on this host
     * @param after  how long a replica may go without streaming (zero: never repair)
     */
    public boolean step(Health health, Duration after) throws IOException, InterruptedException {
        Health.Patroni p = health.patroni();
        boolean replica = !after.isZero() && p != null && p.role() != null && !p.isLeader()
                && !"unreachable".equals(p.state()) && !"creating replica".equals(p.state())
                && p.leader() != null && !p.leader().isEmpty() && !p.leader().equals(name);
        boolean streaming = health.postgres() != null && health.postgres().isStreaming();
        long now = clock.getAsLong();
        if (replica && streaming && watching) {
            // A replica that crashes again seconds after it connects (a crash loop) is still one to repair.
            if (!streamingSeen) {
                streamingSeen = true;
                streamingSince = now;
            }
            if (now - streamingSince < STEADY.toNanos()) {
                return true;
            }
        }
        streamingSeen = false;
        if (!replica || streaming) {
            if (watching) {
                log.info("replica streams from its leader again");
            }
            watching = false;
            return false;
        }
        if (!watching) {
            watching = true;
            notStreamingSince = now;
            log.warn("replica not streaming from leader {} (Patroni: {}); reinitialising it in {} s unless it"
                    + " streams for {} s", p.leader(), p.state(), after.toSeconds(), STEADY.toSeconds());
        }
        long stuckSeconds = Duration.ofNanos(now - notStreamingSince).toSeconds();
        if (stuckSeconds < after.toSeconds()) {
            return true;
        }
        List<PatroniClient.ClusterMember> members = patroni.cluster();
        Optional<PatroniClient.ClusterMember> leader = members.stream()
                .filter(PatroniClient.ClusterMember::isLeader).findFirst();
        if (leader.isEmpty() || !leader.get().state().equals("running") || leader.get().name().equals(name)) {
            return true;
        }
        Optional<Lock.Held> held = lock.tryAcquire();
        if (held.isEmpty()) {
            return true;
        }
        try (Lock.Held h = held.get()) {
            String why = "not streaming from leader " + leader.get().name() + " for " + stuckSeconds
                    + " s (Patroni: " + p.state() + ")";
            log.warn("{}: asking Patroni to reinitialise this replica from the leader", why);
            String before = patroni.member().postmasterStart();
            patroni.reinitialize();
            // A new Postgres (another start time) running as a replica: the clone is done.
            MemberWait.until(patroni, h, CLONE_LIMIT, m -> m.state().equals("running") && !m.isLeader()
                            && !m.postmasterStart().equals(before), "replica " + name + " not running again within "
                            + CLONE_LIMIT.toMinutes() + " minutes of its reinitialisation");
            lastRepair = "reinitialised from leader " + leader.get().name() + " at "
                    + Instant.now().truncatedTo(ChronoUnit.SECONDS) + ": it was " + why;
            lastRepairAt = Instant.now();
            log.warn("replica {}", lastRepair);
        }
        watching = false;
        return false;
    }

    /** The last repair, for the status, for an hour after it. */
    public Optional<String> note() {
        return lastRepair.isEmpty() || Instant.now().isAfter(lastRepairAt.plus(NOTE_KEPT)) ? Optional.empty()
                : Optional.of("replica " + lastRepair);
    }
}
