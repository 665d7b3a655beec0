package io.pgha.agent;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.Versioned;
import io.pgha.model.PoolerPause;
import io.pgha.pooler.PoolerConsole;
import io.pgha.probe.HostHealth;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On an lb host with a pooler, on a thread of its own: follows pghactl's pause key (see {@link PoolerPause}) and
 * pauses this host's PgBouncer for a switchover, then resumes it as soon as this host's HAProxy sends writes to the
 * new leader alone, so that no transaction reaches a member on its way down or one not yet promoted. A pause ends
 * too when the key goes (pghactl finished, or died and its lease expired), and after a minute whatever the key says:
 * clients wait, but never for long.
 */
final class PoolerPauses implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PoolerPauses.class);
    /** While a pause is asked for or in force: how soon HAProxy's routing of the new leader is seen. */
    private static final long TICK_MILLIS = 50;
    /**
     * Otherwise: only whether this host has a pooler now (a new spec) is looked at; a pause key read wakes the thread
     * at once. Twenty wake-ups a second on every host for a pause that may never come were a tenth of an idle agent's
     * CPU.
     */
    private static final long IDLE_TICK_MILLIS = 1000;
    /** How long PAUSE may wait for the transactions in flight before the switchover goes on without a pause. */
    static final Duration PAUSE_WITHIN = Duration.ofSeconds(10);
    private static final long LONGEST_NANOS = Duration.ofMinutes(1).toNanos();

    /**
     * This host's pooler, its HAProxy's stats port and admin socket, and the spec's data hosts (HAProxy's servers),
     * while the host is an lb host with a pooler.
     */
    record Target(PoolerConsole console, int statsPort, java.nio.file.Path haproxySocket, List<String> dataHosts) {
    }

    private final Dcs dcs;
    private final EtcdOutage outage;
    private final Supplier<Optional<Target>> target;
    private final HostHealth health;
    private final Runnable changed;
    private final Semaphore wake = new Semaphore(0);
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Optional<PoolerPause> wanted = Optional.empty();
    private volatile Optional<String> pausedFor = Optional.empty();
    private volatile Optional<String> failure = Optional.empty();
    // Confined to this thread.
    private KeyFollower<PoolerPause> follower;
    private String triedFor = "";
    private String forcedFor = "";
    private long pausedAt;

    /** {@code changed} hears each pause and resume (the prober then reports it at once). */
    PoolerPauses(Dcs dcs, EtcdOutage outage, Supplier<Optional<Target>> target, HostHealth health,
                 Runnable changed) {
        this.changed = changed;
        this.dcs = dcs;
        this.outage = outage;
        this.target = target;
        this.health = health;
        this.thread = new Thread(this::run, "pooler-pauses");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** The switchover this host's pooler is paused for, if any. */
    Optional<String> pausedFor() {
        return pausedFor;
    }

    /** Why the last pause did not take, if it did not. */
    Optional<String> failure() {
        return failure;
    }

    Optional<PoolerConsole> console() {
        return target.get().map(Target::console);
    }

    private void run() {
        try {
            while (running) {
                try {
                    tick();
                } catch (RuntimeException e) {
                    log.error("pooler pause failed: {}", AgentLoop.describe(e), e);
                }
                long tick = wanted.isPresent() || pausedFor.isPresent() ? TICK_MILLIS : IDLE_TICK_MILLIS;
                if (wake.tryAcquire(tick, TimeUnit.MILLISECONDS)) {
                    wake.drainPermits();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (follower != null) {
                follower.close();
            }
        }
    }

    private void tick() {
        Optional<Target> t = target.get();
        if (t.isEmpty()) {
            if (follower != null) {
                follower.close();
                follower = null;
                wanted = Optional.empty();
            }
            pausedFor = Optional.empty();
            return;
        }
        PoolerConsole console = t.get().console();
        if (follower == null) {
            // A pause this agent did not make (its previous process was stopped during one) ends here; one still
            // wanted is made again once the key is read.
            resumeQuietly(console);
            follower = new KeyFollower<>("pooler pause", dcs::poolerPause, dcs::watchPoolerPause, this::read, outage);
        }
        Optional<PoolerPause> w = wanted;
        if (pausedFor.isPresent() && w.isEmpty()) {
            resume(console, "the switchover ended");
        } else if (pausedFor.isPresent() && !w.get().id().equals(pausedFor.get())) {
            resume(console, "another switchover asks");
        } else if (pausedFor.isPresent() && System.nanoTime() - pausedAt > LONGEST_NANOS) {
            resume(console, "paused for longer than a minute");
        } else if (w.isPresent() && pausedFor.isEmpty() && !triedFor.equals(w.get().id())) {
            pause(console, w.get());
        } else if (w.isPresent() && pausedFor.isPresent() && !w.get().resumeOn().isEmpty()) {
            resumeOnceRouted(t.get(), w.get());
        }
    }

    /**
     * Resumes once HAProxy sends writes to the new leader alone. Patroni has said who leads now: HAProxy is told at
     * once (its runtime API's {@code set server ... health up}) rather than at its next check of a server it holds
     * down, up to a second later; its checks go on and would take the server out again within half a second if
     * Patroni were wrong. The old leader is out by then: it failed its checks as it demoted.
     */
    private void resumeOnceRouted(Target t, PoolerPause p) {
        String leader = p.resumeOn();
        try {
            List<String> up = health.primariesUp(t.statsPort());
            if (up.equals(List.of(leader))) {
                resume(t.console(), "HAProxy sends writes to " + leader);
            } else if (!up.contains(leader) && t.dataHosts().contains(leader) && !forcedFor.equals(p.id())) {
                forcedFor = p.id();
                String answer = io.pgha.net.UnixSocketText.ask(t.haproxySocket(), WriteRouting.health(leader, "up"),
                        Duration.ofSeconds(2)).strip();
                log.info("told HAProxy that {} leads now, as Patroni says{}", leader,
                        answer.isEmpty() ? "" : ": " + answer);
            }
        } catch (java.io.IOException e) {
            log.debug("HAProxy: {}", e.getMessage());
        }
    }

    private void read(Optional<Versioned<PoolerPause>> value) {
        wanted = value.map(Versioned::value);
        wake.release();
    }

    private void pause(PoolerConsole console, PoolerPause p) {
        triedFor = p.id();
        long start = System.nanoTime();
        try {
            console.pause(PAUSE_WITHIN);
            pausedAt = System.nanoTime();
            pausedFor = Optional.of(p.id());
            failure = Optional.empty();
            log.info("pooler paused for switchover {} ({} ms to drain)", p.id(), (pausedAt - start) / 1_000_000);
            changed.run();
        } catch (java.io.IOException e) {
            failure = Optional.of("pause for switchover " + p.id() + " failed: " + e.getMessage());
            log.warn("{}", failure.get());
            // A PAUSE cut short stays in force in PgBouncer: lift it.
            resumeQuietly(console);
            changed.run();
        }
    }

    private void resume(PoolerConsole console, String why) {
        try {
            console.resume();
            log.info("pooler resumed after {} ms: {}", (System.nanoTime() - pausedAt) / 1_000_000, why);
            pausedFor = Optional.empty();
            changed.run();
        } catch (java.io.IOException e) {
            log.warn("pooler not resumed ({}), trying again: {}", why, e.getMessage());
        }
    }

    private static void resumeQuietly(PoolerConsole console) {
        try {
            console.resume();
        } catch (java.io.IOException e) {
            log.info("pooler not resumed: {}", e.getMessage());
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
