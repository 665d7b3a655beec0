package io.pgha.postgres;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rolls out a Postgres setting that needs a restart (Patroni's pending_restart), one data host at a time: each
 * host restarts only while it holds the cluster-wide restart lock; replicas go first; the leader goes last, and
 * hands leadership to a replica before it restarts. Called on every converge pass of a data host.
 */
public final class RollingRestart {
    private static final Logger log = LoggerFactory.getLogger(RollingRestart.class);
    private static final Duration SETTLE = Duration.ofSeconds(120);
    private static final long POLL_MILLIS = 500;

    /** The cluster-wide restart lock. */
    public interface Lock {
        /** The lock if it was free, else empty. */
        Optional<Held> tryAcquire() throws IOException;
    }

    /** A held lock: refreshed while the restart is under way, released on close. */
    public interface Held extends AutoCloseable {
        void refresh() throws IOException;

        @Override
        void close() throws IOException;
    }

    private final String name;
    private final PatroniApi patroni;
    private final Lock lock;

    public RollingRestart(String name, PatroniApi patroni, Lock lock) {
        this.name = name;
        this.patroni = patroni;
        this.lock = lock;
    }

    /** What {@code pghactl plan} shows: the restart this member still owes, if Patroni says one is pending. */
    public static Optional<String> pending(PatroniApi patroni) {
        try {
            PatroniClient.Member me = patroni.member();
            if (!me.pendingRestart()) {
                return Optional.empty();
            }
            return Optional.of("Postgres restart pending for a changed setting: one data host at a time under the"
                    + " cluster restart lock, " + (me.isLeader() ? "this leader last, after a switchover"
                    : "replicas before the leader"));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Takes this host one step further; true while it still has a restart to do (call again soon). */
    public boolean step() throws IOException, InterruptedException {
        PatroniClient.Member me = patroni.member();
        if (!me.pendingRestart()) {
            return false;
        }
        List<PatroniClient.ClusterMember> members = patroni.cluster();
        if (me.isLeader() && members.stream().anyMatch(m -> !m.isLeader() && m.pendingRestart())) {
            log.info("restart pending here on the leader; waiting for the replicas to restart first");
            return true;
        }
        Optional<Held> held = lock.tryAcquire();
        if (held.isEmpty()) {
            log.info("restart pending; another data host holds the restart lock");
            return true;
        }
        try (Held h = held.get()) {
            if (me.isLeader()) {
                handOver(members, h);
            }
            if (patroni.member().pendingRestart()) {
                log.info("restarting Postgres for a changed setting (holding the restart lock)");
                patroni.restart();
            }
            awaitRunning(h, true);
            log.info("restart done: Postgres is running with the new settings");
        }
        return false;
    }

    /** Switchover to the first replica that may take over; with none, the leader restarts in place. */
    private void handOver(List<PatroniClient.ClusterMember> members, Held held) throws IOException, InterruptedException {
        for (PatroniClient.ClusterMember candidate : PatroniClient.takeoverCandidates(members)) {
            try {
                log.info("switching over to {} before restarting the leader", candidate.name());
                patroni.switchover(name, candidate.name());
                // Demotion restarts Postgres as a replica, which may already apply the pending setting.
                awaitRunning(held, false);
                return;
            } catch (IOException e) {
                log.warn("switchover to {} refused: {}", candidate.name(), e.getMessage());
            }
        }
        log.warn("no replica can take over: restarting the leader in place");
    }

    /**
     * Waits until Postgres here runs again: with the pending setting applied, or (after a switchover) as a replica.
     * Refreshes the lock meanwhile.
     */
    private void awaitRunning(Held held, boolean applied) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        while (System.nanoTime() < deadline) {
            held.refresh();
            try {
                PatroniClient.Member me = patroni.member();
                if (me.state().equals("running") && (applied ? !me.pendingRestart() : !me.isLeader())) {
                    return;
                }
            } catch (IOException e) {
                log.debug("Patroni busy: {}", e.getMessage());
            }
            Thread.sleep(POLL_MILLIS);
        }
        throw new IOException("Postgres on " + name + " not running again within " + SETTLE.toSeconds() + " s");
    }
}
