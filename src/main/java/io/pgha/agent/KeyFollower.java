package io.pgha.agent;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.Versioned;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows one etcd key on a thread of its own (the spec; on a data host the secrets and its request key): reads it,
 * watches it, reads it again at each change, and after a watch error starts over, with a backoff while etcd does not
 * answer. Each value read goes to the loop as news; the watch callbacks, which run on the etcd client's threads, only
 * wake this thread. The watch is a hint, the read the truth: with no change seen for {@link #REREAD} the key is read
 * anyway, so that a watch that went quiet without an error delays a change by that much, not for ever.
 */
final class KeyFollower<T> implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KeyFollower.class);
    private static final long MIN_BACKOFF_MILLIS = 500;
    private static final long MAX_BACKOFF_MILLIS = 5000;
    static final Duration REREAD = Duration.ofSeconds(30);

    /** How one key is read. */
    interface Read<T> {
        Optional<Versioned<T>> read() throws DcsException;
    }

    /** How one key is watched: changes after {@code afterRevision} (0: from now). */
    interface Watch {
        Dcs.Watch watch(long afterRevision, Runnable changed, Consumer<DcsException> ended);
    }

    private final String name;
    private final Read<T> read;
    private final Watch watch;
    private final Consumer<Optional<Versioned<T>>> news;
    private final EtcdOutage outage;
    private final Thread thread;
    private final Duration reread;
    private volatile boolean running = true;
    // Confined to this follower's thread.
    /** The revision of the value last told (0: absent). */
    private long told;

    KeyFollower(String name, Read<T> read, Watch watch, Consumer<Optional<Versioned<T>>> news, EtcdOutage outage) {
        this(name, read, watch, news, outage, REREAD);
    }

    KeyFollower(String name, Read<T> read, Watch watch, Consumer<Optional<Versioned<T>>> news, EtcdOutage outage,
                Duration reread) {
        this.name = name;
        this.reread = reread;
        this.read = read;
        this.watch = watch;
        this.news = news;
        this.outage = outage;
        this.thread = new Thread(this::follow, name + "-follower");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void follow() {
        long backoff = MIN_BACKOFF_MILLIS;
        while (running) {
            try {
                long revision = readAndTell(true);
                Semaphore wake = new Semaphore(0);
                AtomicBoolean ended = new AtomicBoolean();
                try (Dcs.Watch watching = watch.watch(revision, wake::release, error -> {
                    outage.failed(error.getMessage());
                    ended.set(true);
                    wake.release();
                })) {
                    if (revision == 0) {
                        // Absent when read: written before the watch began, it would go unseen until a change.
                        readAndTell(true);
                    }
                    backoff = MIN_BACKOFF_MILLIS;
                    while (running) {
                        boolean woken = wake.tryAcquire(reread.toMillis(), TimeUnit.MILLISECONDS);
                        woken |= wake.drainPermits() > 0;
                        if (ended.get()) {
                            break;
                        }
                        readAndTell(woken);
                    }
                }
            } catch (DcsException e) {
                outage.failed(e);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.warn("following {} failed: {}", name, AgentLoop.describe(e));
            }
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                return;
            }
            backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
        }
    }

    /**
     * Reads the key and tells the loop; the revision a watch goes on after (0: absent). A read with no change seen
     * (the re-read) tells only a revision that differs from the last one told.
     */
    private long readAndTell(boolean changeSeen) throws DcsException {
        try {
            Optional<Versioned<T>> value = read.read();
            outage.answered();
            long revision = value.map(Versioned::modRevision).orElse(0L);
            if (!changeSeen) {
                if (revision == told) {
                    return revision;
                }
                log.warn("{}: revision {} (was {}) came with no watch event; read at the re-read after {} ms without"
                        + " one", name, revision, told, reread.toMillis());
            }
            told = revision;
            news.accept(value);
            return revision;
        } catch (DcsException.Malformed e) {
            // etcd answered; the value is not one this agent reads: it keeps what it had until the next change.
            outage.answered();
            if (changeSeen) {
                log.warn("{} ignored: {}", name, e.getMessage());
            }
            return e.revision();
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
