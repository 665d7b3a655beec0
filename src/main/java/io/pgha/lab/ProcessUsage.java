package io.pgha.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What a process on this machine uses, from /proc, for the benches: 0 once it is gone. */
public final class ProcessUsage {
    private ProcessUsage() {
    }

    /** Resident memory, in KiB. */
    public static long rssKb(long pid) {
        return field(pid, "status", "VmRSS:");
    }

    /** Proportional set size in KiB: pages shared with other processes counted in part. */
    public static long pssKb(long pid) {
        return field(pid, "smaps_rollup", "Pss:");
    }

    /** utime + stime, in clock ticks (100 a second on Linux): ticks per second of wall time are % of a core. */
    public static long cpuTicks(long pid) {
        return ticks(pid, 2);
    }

    /**
     * utime + stime of the process and of its children it has waited for, in clock ticks: a postmaster's figure
     * takes in the backends that came and went.
     */
    public static long cpuTicksWithExitedChildren(long pid) {
        return ticks(pid, 4);
    }

    /** The sum of the first {@code fields} of utime, stime, cutime, cstime (/proc/PID/stat's 14th to 17th). */
    private static long ticks(long pid, int fields) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long sum = 0;
            for (int i = 11; i < 11 + fields; i++) {
                sum += Long.parseLong(f[i]);
            }
            return sum;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static long field(long pid, String file, String name) {
        try {
            return Files.readAllLines(Path.of("/proc", Long.toString(pid), file)).stream()
                    .filter(l -> l.startsWith(name)).map(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst()
                    .orElse(0L);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
