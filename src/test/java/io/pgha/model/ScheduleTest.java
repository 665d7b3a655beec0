package io.pgha.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;

class ScheduleTest {
    private static LocalDateTime next(String cron, String after) throws Exception {
        return Schedule.parse(cron).next(LocalDateTime.parse(after)).orElseThrow();
    }

    @Test
    void sundaysAtTwoAreFoundFromAnyMinute() throws Exception {
        // 2026-11-27 is a Friday.
        assertEquals(LocalDateTime.parse("2026-11-29T02:00"), next("0 2 * * 0", "2026-11-27T18:26"));
        assertEquals(LocalDateTime.parse("2026-11-29T02:00"), next("0 2 * * 7", "2026-11-27T18:26"));
        // Strictly after: at 02:00 itself the next one is a week later.
        assertEquals(LocalDateTime.parse("2026-12-06T02:00"), next("0 2 * * 0", "2026-11-29T02:00"));
    }

    @Test
    void rangesListsAndSteps() throws Exception {
        assertEquals(LocalDateTime.parse("2026-11-27T18:30"), next("*/15 * * * *", "2026-11-27T18:26"));
        assertEquals(LocalDateTime.parse("2026-11-30T02:00"), next("0 2 * * 1-6", "2026-11-28T02:00"));
        assertEquals(LocalDateTime.parse("2026-11-27T20:05"), next("5 8,20 * * *", "2026-11-27T18:26"));
        assertEquals(LocalDateTime.parse("2026-11-28T00:10"), next("10 0-23/6 * * *", "2026-11-27T18:26"));
    }

    @Test
    void bothDayFieldsRestrictedFireOnEither() throws Exception {
        // The 1st of the month or a Monday, whichever comes first (cron's rule).
        assertEquals(LocalDateTime.parse("2026-11-30T00:00"), next("0 0 1 * 1", "2026-11-27T18:26"));
        assertEquals(LocalDateTime.parse("2026-12-01T00:00"), next("0 0 1 * 1", "2026-11-30T00:00"));
    }

    @Test
    void theTwentyNinthOfFebruaryIsFoundYearsAhead() throws Exception {
        assertEquals(LocalDateTime.parse("2028-02-29T03:00"), next("0 3 29 2 *", "2026-11-27T18:26"));
    }

    @Test
    void aMinuteTheClockSkipsFiresRightAfterTheChange() throws Exception {
        // 2026-03-29 02:30 does not exist in Berlin: clocks go from 02:00 to 03:00.
        ZonedDateTime after = ZonedDateTime.of(LocalDateTime.parse("2026-03-29T01:59"), ZoneId.of("Europe/Berlin"));
        ZonedDateTime next = Schedule.parse("30 2 * * *").next(after).orElseThrow();
        assertTrue(next.isAfter(after), next.toString());
        assertEquals(3, next.getHour());
    }

    @Test
    void badExpressionsSayWhatWasExpected() {
        assertEquals("expected 5 fields (minute hour day-of-month month day-of-week, e.g. '0 2 * * 0' for Sundays"
                + " at 02:00), found 4 in '0 2 * *'", message("0 2 * *"));
        assertEquals("hour: expected 0 to 23, found '24'", message("0 24 * * *"));
        assertEquals("minute: expected numbers 0-59, *, ranges a-b, lists a,b and steps /n, found 'x'",
                message("x 2 * * *"));
        assertEquals("day of week: expected a range from low to high, found '5-1'", message("0 2 * * 5-1"));
        assertEquals("minute: expected a step of at least 1, found '*/0'", message("*/0 2 * * *"));
        assertEquals("'0 0 31 2 *' never fires (no month has such a day)", message("0 0 31 2 *"));
        assertEquals("expected 5 fields (minute hour day-of-month month day-of-week, e.g. '0 2 * * 0' for Sundays"
                + " at 02:00), found 0 in ''", message(""));
    }

    private static String message(String cron) {
        return assertThrows(Schedule.InvalidScheduleException.class, () -> Schedule.parse(cron)).getMessage();
    }
}
