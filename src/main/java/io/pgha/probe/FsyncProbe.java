package io.pgha.probe;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * The fsync check etcd's documentation recommends: sequential 2300-byte writes, each followed by fdatasync, in the
 * directory that will hold the data. etcd wants a p99 under 10 ms (the spec's disk.fsync_p99_limit_ms); slower disks
 * make leader elections flap.
 */
public final class FsyncProbe {
    public static final int BLOCK = 2300;

    private final int writes;
    private final LongSupplier nanoTime;

    /** {@code nanoTime} is the clock the latencies are read from: System::nanoTime, or a test's. */
    public FsyncProbe(int writes, LongSupplier nanoTime) {
        this.writes = writes;
        this.nanoTime = nanoTime;
    }

    public record Result(double p50Millis, double p99Millis) {
    }

    public Result run(Path directory) throws IOException {
        Files.createDirectories(directory);
        Path file = Files.createTempFile(directory, ".pgha-fsync", ".probe");
        long[] latencies = new long[writes];
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ByteBuffer block = ByteBuffer.allocate(BLOCK);
            for (int i = 0; i < writes; i++) {
                block.rewind();
                long start = nanoTime.getAsLong();
                while (block.hasRemaining()) {
                    ch.write(block);
                }
                ch.force(false);
                latencies[i] = nanoTime.getAsLong() - start;
            }
        } finally {
            Files.deleteIfExists(file);
        }
        return new Result(percentile(latencies, 50) / 1e6, percentile(latencies, 99) / 1e6);
    }

    /** The nearest-rank percentile: the smallest sample with at least p% of the samples at or below it. */
    static long percentile(long[] samples, double p) {
        if (samples.length == 0) {
            throw new IllegalArgumentException("no samples");
        }
        long[] sorted = samples.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length, rank) - 1)];
    }
}
