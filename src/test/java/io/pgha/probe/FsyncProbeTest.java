package io.pgha.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.model.ClusterSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FsyncProbeTest {
    @TempDir
    Path dir;

    @Test
    void nearestRankPercentiles() {
        long[] hundred = new long[100];
        for (int i = 0; i < 100; i++) {
            hundred[i] = 100 - i;
        }
        assertEquals(50, FsyncProbe.percentile(hundred, 50));
        assertEquals(99, FsyncProbe.percentile(hundred, 99));
        assertEquals(100, FsyncProbe.percentile(hundred, 100));
        assertEquals(7, FsyncProbe.percentile(new long[] {7}, 99));
        assertEquals(9, FsyncProbe.percentile(new long[] {1, 9}, 99));
        assertThrows(IllegalArgumentException.class, () -> FsyncProbe.percentile(new long[0], 50));
    }

    @Test
    void aRealDiskIsMeasuredAndTheProbeFileRemoved() throws Exception {
        FsyncProbe.Result r = new FsyncProbe(20, System::nanoTime).run(dir);
        assertTrue(r.p50Millis() > 0 && r.p99Millis() >= r.p50Millis(), r.toString());
        try (var listing = Files.list(dir)) {
            assertEquals(0, listing.count());
        }
    }

    @Test
    void eachWriteIsTimedFromItsStartToTheEndOfItsSync() throws Exception {
        // The clock is read twice per write; the i-th write (from 1) takes i ms: p50 of 1..100 is 50, p99 is 99.
        AtomicLong reads = new AtomicLong();
        AtomicLong now = new AtomicLong();
        FsyncProbe probe = new FsyncProbe(100, () -> {
            long n = reads.incrementAndGet();
            return n % 2 == 1 ? now.get() : now.addAndGet((n / 2) * 1_000_000L);
        });
        FsyncProbe.Result r = probe.run(dir);
        assertEquals(50.0, r.p50Millis(), 1e-9, r.toString());
        assertEquals(99.0, r.p99Millis(), 1e-9, r.toString());
        assertEquals(200, reads.get(), "one clock read before each write and one after its sync");
    }

    @Test
    void aSlowDiskIsReportedSlow() throws Exception {
        // A clock that advances 1 ms per read, plus 12 ms on every fourth sync: the slow tail decides p99.
        AtomicLong reads = new AtomicLong();
        FsyncProbe slow = new FsyncProbe(100, () -> {
            long n = reads.incrementAndGet();
            long syncs = n / 2;
            return n * 1_000_000L + (syncs / 4) * 12_000_000L;
        });
        FsyncProbe.Result r = slow.run(dir);
        assertTrue(ClusterSpec.Disk.DEFAULT.slow(r.p99Millis()), "above etcd's 10 ms: " + r);

        FsyncProbe fast = new FsyncProbe(100, new AtomicLong()::incrementAndGet);
        assertFalse(ClusterSpec.Disk.DEFAULT.slow(fast.run(dir).p99Millis()));
    }
}
