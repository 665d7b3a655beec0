package io.pgha.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConvergeScheduleTest {
    @Test
    void failuresBackOffDoublingUpToTheDriftIntervalAndASuccessResets() {
        ConvergeSchedule s = new ConvergeSchedule(Duration.ofSeconds(30));
        assertEquals(Duration.ofSeconds(1), s.after(ConvergeSchedule.Pass.FAILED));
        assertEquals(Duration.ofSeconds(2), s.after(ConvergeSchedule.Pass.FAILED));
        assertEquals(Duration.ofSeconds(4), s.after(ConvergeSchedule.Pass.FAILED));
        assertEquals(Duration.ofSeconds(8), s.after(ConvergeSchedule.Pass.FAILED));
        assertEquals(Duration.ofSeconds(16), s.after(ConvergeSchedule.Pass.FAILED));
        assertEquals(Duration.ofSeconds(30), s.after(ConvergeSchedule.Pass.FAILED), "capped at the drift interval");
        assertEquals(Duration.ofSeconds(30), s.after(ConvergeSchedule.Pass.FAILED));
        assertEquals(7, s.failures());
        assertEquals(Duration.ofSeconds(30), s.after(ConvergeSchedule.Pass.SETTLED));
        assertEquals(0, s.failures());
        assertEquals(Duration.ofSeconds(1), s.after(ConvergeSchedule.Pass.FAILED), "a success starts the backoff anew");
    }

    @Test
    void aRollingRestartIsFollowedClosely() {
        ConvergeSchedule s = new ConvergeSchedule(Duration.ofSeconds(30));
        assertEquals(ConvergeSchedule.ROLLOUT_POLL, s.after(ConvergeSchedule.Pass.ROLLING_OUT));
        assertEquals(Duration.ofSeconds(1), new ConvergeSchedule(Duration.ofSeconds(1))
                .after(ConvergeSchedule.Pass.ROLLING_OUT), "never later than the drift interval");
    }

    @Test
    void etcdsReturnAfterAFailedPassRunsOneAtOnceAndStartsTheBackoffOver() {
        ConvergeSchedule s = new ConvergeSchedule(Duration.ofSeconds(30));
        assertFalse(s.etcdSeen(true));
        for (int i = 0; i < 6; i++) {
            s.after(ConvergeSchedule.Pass.FAILED);
        }
        assertFalse(s.etcdSeen(true), "still away");
        assertTrue(s.etcdSeen(false), "back after failed passes: one now");
        assertEquals(0, s.failures());
        assertEquals(Duration.ofSeconds(1), s.after(ConvergeSchedule.Pass.FAILED), "the backoff starts over");
        assertFalse(s.etcdSeen(false), "once per return");
    }

    @Test
    void etcdsReturnAfterPassesThatSucceededChangesNothing() {
        ConvergeSchedule s = new ConvergeSchedule(Duration.ofSeconds(30));
        s.etcdSeen(true);
        s.after(ConvergeSchedule.Pass.SETTLED);
        assertFalse(s.etcdSeen(false));
        s.after(ConvergeSchedule.Pass.FAILED);
        assertFalse(s.etcdSeen(false), "a failure with etcd there waits for its backoff");
    }
}
