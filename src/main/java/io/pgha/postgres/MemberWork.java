package io.pgha.postgres;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.Lock;
import io.pgha.model.ClusterSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * pghactl's work on one replica through its Patroni: a restart in place or a reinit (a fresh copy from the leader).
 * Each takes the cluster's restart lock first, as the agents' rolling restarts and repairs do, so at most one data
 * host is down at a time, and is done only when the replica streams from the leader again.
 */
public final class MemberWork {
    private static final long POLL_MILLIS = 250;
    /** The lock's lease: refreshed while a host restarts, freed within it if pghactl dies. */
    private static final long LOCK_TTL_SECONDS = 30;
    private final Members members;
    private final Lock lock;
    private final Path caFile;
    private final Consumer<String> progress;

    /** pghactl's work: the cluster's restart lock taken as "pghactl". */
    public static MemberWork byPghactl(Members members, Dcs dcs, Path caFile, Consumer<String> progress) {
        return new MemberWork(members, dcs.restartLock("pghactl", LOCK_TTL_SECONDS), caFile, progress);
    }

    /** @param lock the cluster's restart lock */
    public MemberWork(Members members, Lock lock, Path caFile, Consumer<String> progress) {
        this.members = members;
        this.lock = lock;
        this.caFile = caFile;
        this.progress = progress;
    }

    /** Restarts {@code host}'s Postgres in place: a replica, or a leader no replica can take over from. */
    public void restart(String host, Duration timeout) throws IOException, InterruptedException, DcsException {
        renew(host, timeout, false, (patroni, before) -> patroni.restart(), "its restart", "Postgres restarted");
    }

    /** What hands the leader over: a switchover, which restarts the old leader's Postgres as a replica. */
    @FunctionalInterface
    public interface HandOver {
        void run() throws IOException, InterruptedException, DcsException;
    }

    /**
     * Restarts the leader {@code host} by handing over: under the restart lock, {@code handOver} runs, and it is done
     * once {@code host}'s Postgres runs again as a replica and streams from the new leader.
     */
    public void restartByHandOver(String host, HandOver handOver, Duration timeout)
            throws IOException, InterruptedException, DcsException {
        renew(host, timeout, true, (patroni, before) -> handOver.run(), "the switchover",
                "Postgres restarted as a replica");
    }

    /** Wipes {@code host}'s data directory and copies it anew from the leader; refused on the leader. */
    public void reinit(String host, Duration timeout) throws IOException, InterruptedException, DcsException {
        renew(host, timeout, true, (patroni, before) -> {
            if (before.isLeader()) {
                throw new IOException(host + " is the leader: a reinit would wipe the only copy that takes writes;"
                        + " switch over first (pghactl switchover), then reinit it as a replica");
            }
            patroni.reinitialize();
            progress.accept(host + ": Patroni copies the data directory anew from the leader");
        }, "its reinit", "Postgres runs on the new copy");
    }

    /** What is done to a member, seen as it was just before. */
    @FunctionalInterface
    private interface Action {
        void run(PatroniClient patroni, PatroniClient.Member before)
                throws IOException, InterruptedException, DcsException;
    }

    /**
     * Under the restart lock, {@code action} on {@code host}; done once a new postmaster runs there (as a replica, with
     * {@code asReplica}) and, unless it leads, streams from the leader. {@code what} and {@code done} word the
     * failure and the progress.
     */
    private void renew(String host, Duration timeout, boolean asReplica, Action action, String what, String done)
            throws IOException, InterruptedException, DcsException {
        long deadline = System.nanoTime() + timeout.toNanos();
        PatroniClient patroni = members.patroni(host, timeout);
        try (Lock.Held held = acquire(deadline)) {
            PatroniClient.Member before = patroni.member();
            action.run(patroni, before);
            PatroniClient.Member after = MemberWait.until(patroni, held, left(deadline),
                    m -> m.state().equals("running") && !(asReplica && m.isLeader())
                            && !Objects.equals(m.postmasterStart(), before.postmasterStart()),
                    host + "'s Postgres not running " + (asReplica ? "as a replica" : "again")
                            + " within the timeout of " + what);
            progress.accept(host + ": " + done + " (started " + after.postmasterStart() + ")");
            if (!after.isLeader()) {
                awaitStreaming(host, held, deadline);
            }
        }
    }

    private Lock.Held acquire(long deadline) throws IOException, InterruptedException {
        boolean told = false;
        while (true) {
            Optional<Lock.Held> held = lock.tryAcquire();
            if (held.isPresent()) {
                return held.get();
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("the cluster's restart lock stayed held (an agent's rolling restart or replica"
                        + " repair, or another pghactl) until the timeout; nothing was restarted");
            }
            if (!told) {
                progress.accept("waiting for the cluster's restart lock (another restart or repair holds it)");
                told = true;
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    /** Until the leader's pg_stat_replication lists {@code host} streaming: it replicates again. */
    private void awaitStreaming(String host, Lock.Held held, long deadline) throws IOException, InterruptedException {
        String seen = "nothing yet";
        try (PostgresProbe pg = new PostgresProbe(PatroniConfig.SUPERUSER,
                members.secrets().get("superuser").orElseThrow(), 2, caFile)) {
            while (System.nanoTime() < deadline) {
                held.refresh();
                try {
                    Optional<PatroniClient.ClusterMember> leader = members.cluster().stream()
                            .filter(PatroniClient.ClusterMember::isLeader).findFirst();
                    if (leader.isEmpty()) {
                        seen = "no leader";
                    } else {
                        List<PostgresProbe.Sender> senders = pg.senders(leader.get().host(),
                                ClusterSpec.POSTGRES_PORT);
                        if (senders.stream().anyMatch(s -> s.applicationName().equals(host)
                                && s.state().equals("streaming"))) {
                            progress.accept(host + ": streams from " + leader.get().name());
                            return;
                        }
                        seen = "the leader " + leader.get().name() + " sends to " + senders.stream()
                                .map(s -> s.applicationName() + " (" + s.state() + ")").toList();
                    }
                } catch (IOException | SQLException e) {
                    seen = e.getMessage();
                }
                Thread.sleep(POLL_MILLIS);
            }
        }
        throw new IOException(host + " runs but does not stream from the leader within the timeout; last seen: "
                + seen);
    }

    private static Duration left(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }
}
