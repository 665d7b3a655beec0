package io.pgha.pooler;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.model.Health;
import io.pgha.model.HostStatus;
import io.pgha.model.PoolerPause;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * pghactl's side of a switchover through the poolers: asks every lb host's pooler to pause (the key on a lease of
 * its own, so that the poolers resume if pghactl dies), waits until each running one reports it paused, later tells
 * them the new leader and waits until each has resumed, which each does once its HAProxy sends writes there. An lb
 * host that does not answer, or whose pooler could not pause, is named and left out: the switchover goes on.
 */
public final class SwitchoverPause implements AutoCloseable {
    private static final long POLL_MILLIS = 50;
    /** Past the agent's 10 s for the transactions in flight to end, and its report of it. */
    private static final Duration PAUSE_WAIT = Duration.ofSeconds(13);
    private static final long LEASE_SECONDS = 30;

    private final Dcs dcs;
    private final PoolerPause pause;
    private final long lease;
    private List<String> paused = List.of();
    private List<String> left = List.of();
    private long keptAlive = System.nanoTime();

    private SwitchoverPause(Dcs dcs, PoolerPause pause, long lease) {
        this.dcs = dcs;
        this.pause = pause;
        this.lease = lease;
    }

    /** Pauses the poolers of {@code lbHosts} and waits until each that runs reports it; see {@link #paused}. */
    public static SwitchoverPause begin(Dcs dcs, List<String> lbHosts) throws DcsException, InterruptedException {
        long lease = dcs.grantLease(LEASE_SECONDS);
        SwitchoverPause p = new SwitchoverPause(dcs, new PoolerPause(UUID.randomUUID().toString(), ""), lease);
        dcs.putPoolerPause(p.pause, lease);
        p.awaitPaused(lbHosts);
        return p;
    }

    /** The lb hosts whose poolers are paused, in the order given. */
    public List<String> paused() {
        return paused;
    }

    /** The lb hosts left out, each with why. */
    public List<String> left() {
        return left;
    }

    private void awaitPaused(List<String> lbHosts) throws DcsException, InterruptedException {
        long deadline = System.nanoTime() + PAUSE_WAIT.toNanos();
        List<String> waiting = new ArrayList<>(lbHosts);
        List<String> done = new ArrayList<>();
        List<String> out = new ArrayList<>();
        while (!waiting.isEmpty() && System.nanoTime() < deadline) {
            Map<String, HostStatus> statuses = dcs.hostStatuses().readable();
            for (String host : List.copyOf(waiting)) {
                Optional<Health.Pooler> pooler = Optional.ofNullable(statuses.get(host))
                        .map(HostStatus::health).map(Health::pooler);
                if (statuses.get(host) == null) {
                    out.add(host + ": no status (its agent is not running)");
                    waiting.remove(host);
                } else if (pooler.isPresent() && pause.id().equals(pooler.get().paused())) {
                    done.add(host);
                    waiting.remove(host);
                } else if (pooler.isPresent() && pooler.get().detail() != null
                        && pooler.get().detail().contains(pause.id())) {
                    out.add(host + ": " + pooler.get().detail());
                    waiting.remove(host);
                }
            }
            tick();
        }
        waiting.forEach(host -> out.add(host + ": did not report its pooler paused within " + PAUSE_WAIT.toSeconds()
                + " s"));
        paused = lbHosts.stream().filter(done::contains).toList();
        left = List.copyOf(out);
    }

    /**
     * Tells the paused poolers the new leader and waits, at most {@code within}, until each has resumed; returns the
     * hosts that had not by then (they resume when the key goes, at {@link #close}).
     */
    public List<String> resumeOn(String leader, Duration within) throws DcsException, InterruptedException {
        dcs.putPoolerPause(pause.resumingOn(leader), lease);
        long deadline = System.nanoTime() + within.toNanos();
        List<String> waiting = new ArrayList<>(paused);
        while (!waiting.isEmpty() && System.nanoTime() < deadline) {
            Map<String, HostStatus> statuses = dcs.hostStatuses().readable();
            waiting.removeIf(host -> Optional.ofNullable(statuses.get(host)).map(HostStatus::health)
                    .map(Health::pooler).map(p -> !pause.id().equals(p.paused())).orElse(true));
            tick();
        }
        return List.copyOf(waiting);
    }

    private void tick() throws DcsException, InterruptedException {
        if (System.nanoTime() - keptAlive > Duration.ofSeconds(5).toNanos()) {
            dcs.keepAlive(lease);
            keptAlive = System.nanoTime();
        }
        Thread.sleep(POLL_MILLIS);
    }

    /** Ends the pause: every pooler still paused for it resumes. */
    @Override
    public void close() throws DcsException {
        try {
            dcs.deletePoolerPause();
        } finally {
            dcs.revokeLease(lease);
        }
    }
}
