package io.pgha.probe;

import java.util.Optional;

/**
 * I/O rates of a device between two samples. busy% is the growth of the device's transfer time over the wall time
 * between the samples, as iostat's %util.
 */
public record DiskRates(String device, double readsPerSecond, double writesPerSecond, double readBytesPerSecond,
                        double writeBytesPerSecond, double busyPercent, long queueLength) {

    /**
     * Rates from {@code before} to {@code after}; empty when they cannot be told: a counter went backwards (it
     * wrapped, or the device was replaced and restarted its counters), the samples are of different devices, or no
     * time passed. The next pair of samples gives rates again.
     */
    public static Optional<DiskRates> between(DiskCounters before, DiskCounters after) {
        long millis = after.timestampMillis() - before.timestampMillis();
        if (millis <= 0 || !before.device().equals(after.device())) {
            return Optional.empty();
        }
        long reads = after.reads() - before.reads();
        long writes = after.writes() - before.writes();
        long readBytes = after.readBytes() - before.readBytes();
        long writeBytes = after.writeBytes() - before.writeBytes();
        long busy = after.transferTimeMillis() - before.transferTimeMillis();
        if (reads < 0 || writes < 0 || readBytes < 0 || writeBytes < 0 || busy < 0) {
            return Optional.empty();
        }
        double seconds = millis / 1000.0;
        return Optional.of(new DiskRates(after.device(), reads / seconds, writes / seconds, readBytes / seconds,
                writeBytes / seconds, Math.min(100.0, 100.0 * busy / millis), after.queueLength()));
    }
}
