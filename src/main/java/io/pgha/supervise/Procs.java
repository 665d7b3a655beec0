package io.pgha.supervise;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Facts about processes from /proc. */
public final class Procs {
    private Procs() {
    }

    /**
     * Field 22 of /proc/PID/stat: the start time in clock ticks since boot, which tells a live process from a
     * recycled pid. Empty when the pid is gone or a zombie.
     */
    public static Optional<Long> startTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // The command name (field 2) is in parentheses and may contain spaces: count from the last ')'.
            String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            if (rest[0].equals("Z")) {
                return Optional.empty();
            }
            return Optional.of(Long.parseLong(rest[19]));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** True when {@code pid} still runs the process that started at {@code ticks}. */
    public static boolean isSame(long pid, long ticks) {
        return startTicks(pid).map(t -> t == ticks).orElse(false);
    }
}
