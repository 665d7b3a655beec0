package io.pgha.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.dcs.Versioned;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class KeyFollowerTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    /** A watch that starts but never calls back: a stream that went quiet without an error. */
    private static final KeyFollower.Watch SILENT = (after, changed, ended) -> () -> { };

    @Test
    void aChangeTheWatchNeverReportsIsReadAtTheReReadAndToldOnce() throws Exception {
        AtomicReference<Optional<Versioned<String>>> key = new AtomicReference<>(Optional.empty());
        AtomicInteger reads = new AtomicInteger();
        List<Optional<Versioned<String>>> told = new CopyOnWriteArrayList<>();
        try (KeyFollower<String> follower = new KeyFollower<>("spec", () -> {
            reads.incrementAndGet();
            return key.get();
        }, SILENT, told::add, new EtcdOutage(), Duration.ofMillis(100))) {
            await("the first reads told", () -> told.size() == 2);
            key.set(Optional.of(new Versioned<>("spec text", 20)));
            await("revision 20 told", () -> told.size() == 3);
            int readsThen = reads.get();
            await("several more re-reads", () -> reads.get() >= readsThen + 3);
            // Read at start (absent), again after the watch began (absent), then the change: the quiet re-reads
            // that found nothing new told nothing.
            assertEquals(List.of(Optional.empty(), Optional.empty(), Optional.of(new Versioned<>("spec text", 20L))),
                    told);
        }
    }

    private static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "not within " + WAIT.toSeconds() + " s: " + what);
            Thread.sleep(20);
        }
    }
}
