package io.pgha.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.Versioned;
import io.pgha.model.Health;
import io.pgha.model.HostStatus;
import io.pgha.postgres.RollingRestart;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The publisher's rules (write on significant change, heartbeat otherwise, a new lease after the old one is lost,
 * survive any failure) against a DCS kept in memory. The real etcd is the integration tests' business.
 */
class StatusPublisherTest {

    /** Records status writes and leases; can be told to fail. */
    private static final class MemoryDcs implements Dcs {
        final List<String> writes = new ArrayList<>();
        final List<Long> writeLeases = new ArrayList<>();
        long nextLease = 1;
        volatile boolean loseLease;
        volatile RuntimeException failNextPut;

        @Override
        public synchronized void putStatus(String host, String json, long lease) {
            RuntimeException fail = failNextPut;
            if (fail != null) {
                failNextPut = null;
                throw fail;
            }
            writes.add(json);
            writeLeases.add(lease);
        }

        synchronized int writeCount() {
            return writes.size();
        }

        synchronized long leaseOfLastWrite() {
            return writeLeases.isEmpty() ? 0 : writeLeases.get(writeLeases.size() - 1);
        }

        synchronized String lastWrite() {
            return writes.isEmpty() ? "" : writes.get(writes.size() - 1);
        }

        @Override
        public Optional<Versioned> request(String host) {
            return Optional.empty();
        }

        @Override
        public void putRequest(String host, String json) {
            throw new UnsupportedOperationException();
        }

        @Override
        public synchronized long grantLease(long ttlSeconds) {
            return nextLease++;
        }

        @Override
        public void keepAlive(long lease) throws DcsException {
            if (loseLease) {
                loseLease = false;
                throw new DcsException.LeaseLost("gone", null);
            }
        }

        @Override
        public void revokeLease(long lease) {
        }

        @Override
        public Optional<Versioned> spec() {
            return Optional.empty();
        }

        @Override
        public long applySpec(String text, long expectedRevision) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Watch watchSpec(long after, Consumer<Optional<Versioned>> onChange, Consumer<DcsException> onError) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<Versioned> secrets() {
            return Optional.empty();
        }

        @Override
        public Watch watchSecrets(long after, Runnable onChange, Consumer<DcsException> onError) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Watch watchRequest(String host, long after, Runnable onChange, Consumer<DcsException> onError) {
            throw new UnsupportedOperationException();
        }

        @Override
        public long deletePatroniKeys() {
            throw new UnsupportedOperationException();
        }

        @Override
        public long putSecrets(String json, long expectedRevision) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void ensureAccess(io.pgha.dcs.EtcdAccess access, Map<String, String> passwords) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void changePassword(String user, String password) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Map<String, String> hostStatuses() {
            return Map.of();
        }

        @Override
        public RollingRestart.Lock restartLock(String holder, long ttlSeconds) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<String> endpoints() {
            return List.of("memory");
        }

        @Override
        public RollingRestart.Lock etcdLock(String holder, long ttlSeconds) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<io.pgha.model.EtcdMember> members() {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<io.pgha.model.EtcdMember> addLearner(String peerUrl) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void promote(long memberId, String leaderClientUrl) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void removeMember(long memberId) {
            throw new UnsupportedOperationException();
        }

        @Override
        public io.pgha.model.EtcdMemberStatus memberStatus(String clientUrl) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void defragment(String clientUrl) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<io.pgha.model.EtcdAlarm> alarms() {
            throw new UnsupportedOperationException();
        }

        @Override
        public void disarm(io.pgha.model.EtcdAlarm alarm) {
            throw new UnsupportedOperationException();
        }

        @Override
        public long compact() {
            throw new UnsupportedOperationException();
        }

        @Override
        public void useEndpoints(List<String> endpoints) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() {
        }
    }

    private static HostStatus status(boolean converged, long connections, long updated) {
        Health health = new Health(null, null,
                new Health.Postgres(true, false, connections, 100L, 0L, List.of(), null, null), null);
        return new HostStatus(HostStatus.SCHEMA, "pg1", "10.0.1.1", "data", 3, converged,
                converged ? HostStatus.APPLIED : HostStatus.PENDING, List.of(), List.of(), List.of(),
                health, List.of(), List.of(), List.of(), List.of(), "", "test", 1, updated, 0, null, null);
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
        try (StatusPublisher p = new StatusPublisher(dcs, "pg1", Duration.ofHours(1), e -> { }, () -> { })) {
            p.offer(status(false, 5, 1));
            await("the first status written", () -> dcs.writeCount() == 1);
            p.offer(status(false, 9, 2));
            // Two rounds of the publisher (it looks once a second at least): the moving figure caused no write.
            Thread.sleep(2500);
            assertEquals(1, dcs.writeCount(), "a new connection count alone waits for the heartbeat");
            p.offer(status(true, 9, 3));
            await("the converged status written", () -> dcs.writeCount() == 2);
            assertTrue(dcs.lastWrite().contains("\"converged\":true"), dcs.lastWrite());
            assertEquals(2, p.writes());
        }
    }

    @Test
    void theHeartbeatRewritesAnUnchangedStatus() throws Exception {
        MemoryDcs dcs = new MemoryDcs();
        try (StatusPublisher p = new StatusPublisher(dcs, "pg1", Duration.ofMillis(500), e -> { }, () -> { })) {
            p.offer(status(true, 5, 1));
            await("two writes of one status", () -> dcs.writeCount() >= 2);
        }
    }

    @Test
    void aLostLeaseIsReplacedAndAFailureDoesNotStopThePublisher() throws Exception {
        MemoryDcs dcs = new MemoryDcs();
        List<DcsException> failures = new ArrayList<>();
        try (StatusPublisher p = new StatusPublisher(dcs, "pg1", Duration.ofHours(1), failures::add, () -> { })) {
            dcs.failNextPut = new IllegalStateException("boom");
            p.offer(status(false, 5, 1));
            await("written after the failure", () -> dcs.writeCount() == 1);
            assertEquals(1L, dcs.leaseOfLastWrite());
            dcs.loseLease = true;
            // The publisher finds the lease gone at its next keepalive and writes the status again on a new one.
            await("the status rewritten on a new lease", () -> dcs.leaseOfLastWrite() == 2L);
            p.offer(status(true, 5, 2));
            await("the next status written on the new lease", () -> dcs.lastWrite().contains("\"converged\":true"));
            assertEquals(2L, dcs.leaseOfLastWrite());
        }
    }
}
