package io.pgha.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.dcs.DcsException;
import io.pgha.dcs.MemoryDcs;
import io.pgha.model.Health;
import io.pgha.model.HostStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The publisher's rules (write on significant change, heartbeat otherwise, a new lease after the old one is lost,
 * survive any failure) against the DCS kept in memory. The real etcd is the integration tests' business.
 */
class StatusPublisherTest {

    private static HostStatus status(boolean converged, long connections, long updated) {
        Health health = new Health(null, null,
                new Health.Postgres(true, false, connections, 100L, 0L, List.of(), null, null), null);
        return new HostStatus(HostStatus.SCHEMA, "pg1", "10.0.1.1", "data", 3, converged,
                converged ? HostStatus.APPLIED : HostStatus.PENDING, List.of(), List.of(), List.of(),
                health, List.of(), List.of(), List.of(), List.of(), "", "test", 1, updated, 0, null, null);
    }

    private static HostStatus lastWrite(MemoryDcs dcs) {
        List<HostStatus> writes = dcs.statusWrites();
        return writes.get(writes.size() - 1);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 10 s: " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void writesSignificantChangesAtOnceAndMovingFiguresOnlyWithTheHeartbeat() throws Exception {
        MemoryDcs dcs = new MemoryDcs();
        java.util.concurrent.atomic.AtomicInteger successes = new java.util.concurrent.atomic.AtomicInteger();
        try (StatusPublisher p = new StatusPublisher(dcs, Duration.ofHours(1), e -> { },
                successes::incrementAndGet)) {
            p.offer(status(false, 5, 1));
            await("the first status written", () -> dcs.statusWrites().size() == 1);
            p.offer(status(false, 9, 2));
            // Two rounds of the publisher (it looks once a second at least): the moving figure caused no write.
            Thread.sleep(2500);
            assertEquals(1, dcs.statusWrites().size(), "a new connection count alone waits for the heartbeat");
            assertEquals(1, successes.get(), "a status left for the heartbeat is no word from etcd: the agent would"
                    + " take a host etcd began refusing as accepted");
            p.offer(status(true, 9, 3));
            await("the converged status written", () -> dcs.statusWrites().size() == 2);
            assertTrue(dcs.statusWrites().get(1).converged(), dcs.statusWrites().toString());
            assertEquals(2, p.writes());
        }
    }

    @Test
    void theHeartbeatRewritesAnUnchangedStatus() throws Exception {
        MemoryDcs dcs = new MemoryDcs();
        try (StatusPublisher p = new StatusPublisher(dcs, Duration.ofMillis(500), e -> { }, () -> { })) {
            p.offer(status(true, 5, 1));
            await("two writes of one status", () -> dcs.statusWrites().size() >= 2);
        }
    }

    @Test
    void aLostLeaseIsReplacedAndAFailureDoesNotStopThePublisher() throws Exception {
        MemoryDcs dcs = new MemoryDcs();
        List<DcsException> failures = new ArrayList<>();
        try (StatusPublisher p = new StatusPublisher(dcs, Duration.ofHours(1), failures::add, () -> { })) {
            dcs.failNextPut(new IllegalStateException("boom"));
            p.offer(status(false, 5, 1));
            await("written after the failure", () -> dcs.statusWrites().size() == 1);
            assertEquals(1L, dcs.leaseOfLastWrite());
            dcs.loseLease();
            // The publisher finds the lease gone at its next keepalive and writes the status again on a new one.
            await("the status rewritten on a new lease", () -> dcs.leaseOfLastWrite() == 2L);
            p.offer(status(true, 5, 2));
            await("the next status written on the new lease", () -> lastWrite(dcs).converged());
            assertEquals(2L, dcs.leaseOfLastWrite());
        }
    }
}
