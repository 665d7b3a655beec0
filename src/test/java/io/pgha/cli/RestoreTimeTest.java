package io.pgha.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import org.junit.jupiter.api.Test;

class RestoreTimeTest {
    @Test
    void aTimeWithItsZoneInIsoFormOrSpacedAsPsqlPrintsIt() {
        Instant t = Instant.parse("2026-11-27T22:10:00Z");
        assertEquals(t, RestoreCommand.parseTime("2026-11-27T22:10:00Z"));
        assertEquals(t, RestoreCommand.parseTime("2026-11-27T23:10:00+01:00"));
        assertEquals(t, RestoreCommand.parseTime("2026-11-27 23:10:00+01:00"));
        assertEquals(Instant.parse("2026-11-27T22:10:00.123456Z"),
                RestoreCommand.parseTime("2026-11-27 22:10:00.123456+00:00"));
        assertEquals(Instant.parse("2026-11-27T22:10:00.123456Z"),
                RestoreCommand.parseTime("2026-11-27 23:10:00.123456+01"), "as psql prints a timestamptz");
    }

    @Test
    void aTimeWithoutAZoneIsRefused() {
        assertThrows(DateTimeParseException.class, () -> RestoreCommand.parseTime("2026-11-27 22:10:00"));
        assertThrows(DateTimeParseException.class, () -> RestoreCommand.parseTime("yesterday"));
    }
}
