package io.pgha.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.model.ClusterSpec;
import io.pgha.model.Schedule;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BackupCalendarTest {
    private static final ZoneId ZONE = ZoneId.of("Europe/Berlin");

    private static ClusterSpec.Backup backup(String full, String diff, String incr, String drill) throws Exception {
        return new ClusterSpec.Backup(2, 6, Schedule.parse(full),
                diff.isEmpty() ? Optional.empty() : Optional.of(Schedule.parse(diff)),
                incr.isEmpty() ? Optional.empty() : Optional.of(Schedule.parse(incr)), true, Schedule.parse(drill));
    }

    private static ZonedDateTime at(int day, int hour, int minute) {
        return ZonedDateTime.of(2026, 11, day, hour, minute, 0, 0, ZONE);
    }

    private static long millis(ZonedDateTime t) {
        return t.toInstant().toEpochMilli();
    }

    @Test
    void aScheduleSeenForTheFirstTimeStartsFromNowAndRunsNothing() throws Exception {
        BackupCalendar.Decision d = BackupCalendar.decide(backup("0 2 * * 0", "0 2 * * 1-6", "", "30 4 * * *"),
                Map.of(), at(29, 2, 0));
        assertEquals(Optional.empty(), d.backup());
        assertFalse(d.drill());
        assertEquals(Map.of("full", millis(at(29, 2, 0)), "diff", millis(at(29, 2, 0)),
                "drill", millis(at(29, 2, 0))), d.considered());
    }

    @Test
    void aFullBackupDueAtTheSameMinuteAsADifferentialIsTheOneThatRuns() throws Exception {
        ClusterSpec.Backup b = backup("0 2 * * 0", "0 2 * * *", "", "30 4 * * *");
        long before = millis(at(29, 1, 59));
        BackupCalendar.Decision d = BackupCalendar.decide(b, Map.of("full", before, "diff", before, "drill", before),
                at(29, 2, 0));
        assertEquals(Optional.of("full"), d.backup());
        assertEquals(millis(at(29, 2, 0)), d.considered().get("diff"), "the differential is not run after it");
        assertFalse(d.drill());
    }

    @Test
    void onAWeekdayTheDifferentialRunsAndLaterTheDrill() throws Exception {
        ClusterSpec.Backup b = backup("0 2 * * 0", "0 2 * * 1-6", "", "30 4 * * *");
        long monday = millis(at(30, 1, 0));
        BackupCalendar.Decision d = BackupCalendar.decide(b, Map.of("full", monday, "diff", monday, "drill", monday),
                at(30, 2, 0));
        assertEquals(Optional.of("diff"), d.backup());
        assertFalse(d.drill());
        BackupCalendar.Decision later = BackupCalendar.decide(b, d.considered(), at(30, 4, 31));
        assertEquals(Optional.empty(), later.backup());
        assertTrue(later.drill());
        assertFalse(BackupCalendar.decide(b, later.considered(), at(30, 4, 32)).drill(), "once per fire");
    }

    @Test
    void firesMissedWhileTheHostWasDownRunOnceWhenItIsBack() throws Exception {
        ClusterSpec.Backup b = backup("0 2 * * 0", "", "0 * * * *", "30 4 * * *");
        long longAgo = millis(at(20, 12, 0));
        BackupCalendar.Decision d = BackupCalendar.decide(b, Map.of("full", longAgo, "incr", longAgo,
                "drill", longAgo), at(27, 12, 30));
        assertEquals(Optional.of("full"), d.backup(), "a full was missed on Sunday the 22nd");
        assertTrue(d.drill());
        BackupCalendar.Decision next = BackupCalendar.decide(b, d.considered(), at(27, 12, 31));
        assertEquals(Optional.empty(), next.backup());
        assertFalse(next.drill());
    }

    @Test
    void aScheduleTurnedOffIsForgotten() throws Exception {
        ClusterSpec.Backup b = backup("0 2 * * 0", "", "", "30 4 * * *");
        long t = millis(at(29, 1, 0));
        BackupCalendar.Decision d = BackupCalendar.decide(b, Map.of("full", t, "diff", t, "drill", t), at(29, 1, 5));
        assertFalse(d.considered().containsKey("diff"));
    }
}
