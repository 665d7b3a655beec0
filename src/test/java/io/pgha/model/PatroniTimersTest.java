package io.pgha.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PatroniTimersTest {
    private static final ProgramVersion PATRONI_30 = new ProgramVersion(3, 0, 2);
    private static final ProgramVersion PATRONI_40 = new ProgramVersion(4, 0, 7);
    private static final ProgramVersion PATRONI_41 = new ProgramVersion(4, 1, 0);

    @Test
    void versionsAreReadFromWhatTheProgramsPrint() {
        assertEquals(Optional.of(PATRONI_40), ProgramVersion.find("patroni 4.0.7\n"));
        assertEquals(Optional.of(new ProgramVersion(3, 5, 16)), ProgramVersion.find("etcd Version: 3.5.16\nGit SHA:"
                + " Not provided\nGo Version: go1.24.4\n"));
        assertEquals(Optional.of(new ProgramVersion(3, 0, 11)), ProgramVersion.find("HAProxy version 3.0.11-1"
                + " 2025/06/03 - https://haproxy.org/"));
        assertEquals(Optional.of(new ProgramVersion(17, 6, 0)), ProgramVersion.find("postgres (PostgreSQL) 17.6"));
        assertEquals(Optional.empty(), ProgramVersion.find("command not found"));
        assertTrue(PATRONI_41.atLeast(4, 1) && !PATRONI_40.atLeast(4, 1));
    }

    @Test
    void olderPatroniRunsTheValuesAsGiven() {
        PatroniTimers fast = new PatroniTimers(15, 2, 4);
        assertEquals(fast, fast.effective(PATRONI_30));
        assertEquals(List.of(), fast.changesOn(PATRONI_30));
    }

    @Test
    void patroni32AndLaterRaiseAndShrinkAsPatroniDoes() {
        assertEquals(new PatroniTimers(20, 2, 4), new PatroniTimers(15, 2, 4).effective(PATRONI_40));
        assertEquals(new PatroniTimers(20, 1, 3), new PatroniTimers(10, 0, 1).effective(PATRONI_41));
        // loop_wait shrinks first ...
        assertEquals(new PatroniTimers(20, 4, 8), new PatroniTimers(20, 10, 8).effective(PATRONI_40));
        // ... and retry_timeout only when loop_wait is already at its minimum.
        assertEquals(new PatroniTimers(20, 1, 9), new PatroniTimers(20, 5, 12).effective(PATRONI_40));
        assertEquals(List.of("patroni.ttl: 15 would run as 20 on the installed Patroni 4.0.7 (at least 20)"),
                new PatroniTimers(15, 2, 4).changesOn(PATRONI_40));
    }

    @Test
    void theRecommendedAndTheGuidesTimersRunAsGivenEverywhere() {
        for (PatroniTimers t : List.of(new PatroniTimers(20, 2, 4), new PatroniTimers(30, 10, 10))) {
            for (ProgramVersion v : List.of(PATRONI_30, PATRONI_40, PATRONI_41)) {
                assertEquals(t, t.effective(v), t + " on " + v);
            }
            assertEquals(List.of(), t.belowNewerMinimums());
        }
    }

    @Test
    void valuesBelowNewerMinimumsAreWarnedAbout() {
        List<String> warnings = new PatroniTimers(15, 2, 4).belowNewerMinimums();
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).contains("hold only on Patroni before 3.2") && warnings.get(0).contains("ttl 20"),
                warnings.get(0));
        assertFalse(new PatroniTimers(25, 3, 5).belowNewerMinimums().size() > 0);
    }
}
