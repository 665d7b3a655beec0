package io.pgha.backup;

import io.pgha.model.ClusterSpec;
import io.pgha.model.Schedule;
import java.time.ZonedDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which scheduled jobs are due, cron-style: a job is due when its schedule names a minute after the last time it was
 * considered and not after now. Times a host was down for fire once when it is back, not once per minute missed; a
 * kind never considered before (a new spec, a new repository host) starts from now. A full backup due at the same
 * time as a differential or incremental one (the same minute in both schedules) is the one that runs.
 */
public final class BackupCalendar {
    public static final String FULL = "full";
    public static final String DIFF = "diff";
    public static final String INCR = "incr";
    public static final String DRILL = "drill";
    private static final List<String> BACKUPS = List.of(FULL, DIFF, INCR);

    private BackupCalendar() {
    }

    /**
     * @param backup     the backup to run now, if any: full, diff or incr
     * @param drill      whether a drill is due
     * @param considered the times to keep for the next decision (epoch milliseconds by kind)
     */
    public record Decision(Optional<String> backup, boolean drill, Map<String, Long> considered) {
        public Decision {
            considered = Map.copyOf(considered);
        }
    }

    public static Decision decide(ClusterSpec.Backup spec, Map<String, Long> considered, ZonedDateTime now) {
        Map<String, Long> next = new LinkedHashMap<>(considered);
        Map<String, Optional<Schedule>> schedules = Map.of(FULL, Optional.of(spec.full()), DIFF, spec.diff(),
                INCR, spec.incr(), DRILL, Optional.of(spec.drill()));
        Optional<String> backup = Optional.empty();
        boolean drill = false;
        for (String kind : List.of(FULL, DIFF, INCR, DRILL)) {
            Optional<Schedule> schedule = schedules.get(kind);
            if (schedule.isEmpty()) {
                next.remove(kind);
                continue;
            }
            if (!next.containsKey(kind)) {
                next.put(kind, now.toInstant().toEpochMilli());
                continue;
            }
            ZonedDateTime last = java.time.Instant.ofEpochMilli(next.get(kind)).atZone(now.getZone());
            boolean due = schedule.get().next(last).map(t -> !t.isAfter(now)).orElse(false);
            if (!due) {
                continue;
            }
            next.put(kind, now.toInstant().toEpochMilli());
            if (kind.equals(DRILL)) {
                drill = true;
            } else if (backup.isEmpty()) {
                backup = Optional.of(kind);
            }
        }
        return new Decision(backup, drill, next);
    }

    /** Whether {@code kind} is a backup type pgBackRest takes. */
    public static boolean isBackupType(String kind) {
        return BACKUPS.contains(kind);
    }
}
