package io.pgha.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class DiskRatesTest {
    private static DiskCounters at(long millis, long reads, long writes, long busyMillis) {
        return new DiskCounters("vda", reads, writes, reads * 4096, writes * 8192, busyMillis, 3, millis);
    }

    @Test
    void ratesPerSecondAndBusyPercent() {
        DiskRates r = DiskRates.between(at(10_000, 100, 50, 1000), at(12_000, 300, 250, 1500)).orElseThrow();
        assertEquals(100.0, r.readsPerSecond(), 1e-9);
        assertEquals(100.0, r.writesPerSecond(), 1e-9);
        assertEquals(100 * 4096.0, r.readBytesPerSecond(), 1e-9);
        assertEquals(100 * 8192.0, r.writeBytesPerSecond(), 1e-9);
        assertEquals(25.0, r.busyPercent(), 1e-9);
        assertEquals(3, r.queueLength());
    }

    @Test
    void aCounterThatWrappedOrResetGivesNoRate() {
        assertEquals(Optional.empty(), DiskRates.between(at(1000, Long.MAX_VALUE - 5, 10, 10), at(2000, 7, 20, 20)));
        assertEquals(Optional.empty(), DiskRates.between(at(1000, 10, 10, 500), at(2000, 11, 11, 100)));
    }

    @Test
    void aVanishedOrReplacedDeviceGivesNoRate() {
        DiskCounters other = new DiskCounters("vdb", 200, 200, 0, 0, 0, 0, 2000);
        assertEquals(Optional.empty(), DiskRates.between(at(1000, 10, 10, 10), other));
    }

    @Test
    void noElapsedTimeGivesNoRate() {
        assertEquals(Optional.empty(), DiskRates.between(at(1000, 10, 10, 10), at(1000, 20, 20, 20)));
    }

    @Test
    void busyIsCappedAtOneHundred() {
        // Transfer time counts overlapping requests and can grow faster than the wall clock.
        assertTrue(DiskRates.between(at(0, 0, 0, 0), at(1000, 1, 1, 1500)).orElseThrow().busyPercent() <= 100.0);
    }
}
