package io.pgha.agent;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.Versioned;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the spec key on a thread of its own: reads it, watches it, and after a watch error reads it again, with a
 * backoff while etcd does not answer. It only passes news to the loop; the watch callbacks, which run on the etcd
 * client's threads, do nothing else.
 */
final class SpecFollower implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SpecFollower.class);
    private static final long MIN_BACKOFF_MILLIS = 500;
    private static final long MAX_BACKOFF_MILLIS = 5000;

    private final Dcs dcs;
    private final Consumer<Event> loop;
    private final EtcdOutage outage;
    private final Thread thread;
    private volatile boolean running = true;

    SpecFollower(Dcs dcs, Consumer<Event> loop, EtcdOutage outage) {
        this.dcs = dcs;
        this.loop = loop;
        this.outage = outage;
        this.thread = new Thread(this::follow, "spec-follower");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void follow() {
        long backoff = MIN_BACKOFF_MILLIS;
        while (running) {
            try {
                Optional<Versioned<String>> current = dcs.spec();
                outage.answered();
                current.ifPresent(v -> loop.accept(new Event.SpecSeen(v)));
                CountDownLatch broken = new CountDownLatch(1);
                try (Dcs.Watch watch = dcs.watchSpec(current.map(Versioned::modRevision).orElse(0L),
                        v -> loop.accept(v.<Event>map(Event.SpecSeen::new).orElseGet(Event.SpecDeleted::new)),
                        error -> {
                            outage.failed(error.getMessage());
                            broken.countDown();
                        })) {
                    backoff = MIN_BACKOFF_MILLIS;
                    broken.await();
                }
            } catch (DcsException e) {
                outage.failed(e);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.warn("spec watch failed: {}", AgentLoop.describe(e));
            }
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                return;
            }
            backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
