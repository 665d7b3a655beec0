package io.pgha.probe;

/** A device's cumulative I/O counters at one moment (as /proc/diskstats has them). */
public record DiskCounters(String device, long reads, long writes, long readBytes, long writeBytes,
                           long transferTimeMillis, long queueLength, long timestampMillis) {
}
