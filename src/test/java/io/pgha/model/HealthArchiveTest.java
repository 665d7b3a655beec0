package io.pgha.model;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HealthArchiveTest {
    private static final long NOW = 1_800_000_000_000L;

    @Test
    void aFailedAttemptAfterTheLastArchivedSegmentIsFailing() {
        Health.Archive failed = Health.Archive.of("A", NOW - 5000, "B", NOW - 1000, 1, NOW - 2000, NOW);
        assertTrue(failed.failing());
        assertTrue(failed.lastAttemptFailed());
        assertFalse(Health.Archive.of("B", NOW - 500, "B", NOW - 1000, 0, null, NOW).failing(),
                "archived since it failed");
    }

    /** A repository that does not answer: pgBackRest still waits out its timeouts, Postgres has no failure yet. */
    @Test
    void aSegmentWaitingLongerThanTheStallLimitIsFailingBeforeAnyAttemptFailed() {
        long limit = Health.Archive.STALLED.toMillis();
        Health.Archive stalled = Health.Archive.of("A", NOW - 90_000, null, null, 2, NOW - limit - 1, NOW);
        assertTrue(stalled.failing());
        assertFalse(stalled.lastAttemptFailed());
        assertFalse(Health.Archive.of("A", NOW - 90_000, null, null, 2, NOW - limit + 1000, NOW).failing(),
                "a segment just ready is archiving as usual");
        assertFalse(Health.Archive.of("A", NOW - 90_000, null, null, 0, null, NOW).failing(), "nothing waiting");
    }
}
