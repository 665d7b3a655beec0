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
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /**
     * utime + stime of the process and of its children it has waited for, in clock ticks: a postmaster's figure
     * takes in the backends that came and went.
     */
    public static long cpuTicksWithExitedChildren(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
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
