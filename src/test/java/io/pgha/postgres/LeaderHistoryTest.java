package io.pgha.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgha.model.LeaderChange;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class LeaderHistoryTest {
    private static final long T0 = Instant.parse("2026-12-06T05:00:00Z").toEpochMilli();

    private static PatroniClient.TimelineSwitch at(long timeline, long secondsAfterT0, String newLeader) {
        return new PatroniClient.TimelineSwitch(timeline, 100 * timeline, Instant.ofEpochMilli(T0 + secondsAfterT0
                * 1000).atOffset(java.time.ZoneOffset.UTC).toString(), newLeader);
    }

    @Test
    void eachSwitchTakesTheWhyOfTheRecordThatAskedForItAndTheOneBeforeForItsFrom() {
        List<LeaderHistory.Row> rows = LeaderHistory.join(
                List.of(at(1, 10, "pg2"), at(2, 100, "pg3"), at(3, 200, "pg1"), at(4, 300, "pg2")),
                List.of(new LeaderChange(LeaderChange.SWITCHOVER, "pg1", "pg2", T0 + 8_000, "pghactl",
                                "pghactl switchover", 0),
                        new LeaderChange(LeaderChange.EARLY_FAILOVER, "pg2", "", T0 + 97_000, "agent on pg3",
                                "2 of 2 observers", 0),
                        new LeaderChange(LeaderChange.FAILOVER, "pg1", "pg2", T0 + 298_000, "pghactl",
                                "pghactl failover --force", 0)));
        assertEquals(List.of(
                new LeaderHistory.Row(2, T0 + 10_000, "pg1", "pg2", "switchover", "pghactl switchover, by pghactl"),
                new LeaderHistory.Row(3, T0 + 100_000, "pg2", "pg3", "early failover",
                        "2 of 2 observers, by agent on pg3"),
                new LeaderHistory.Row(4, T0 + 200_000, "pg3", "pg1", "failover", LeaderHistory.UNRECORDED),
                new LeaderHistory.Row(5, T0 + 300_000, "pg1", "pg2", "failover",
                        "pghactl failover --force, by pghactl")), rows);
    }

    @Test
    void aRecordTooOldOrForAnotherLeaderExplainsNothing() {
        List<LeaderHistory.Row> rows = LeaderHistory.join(List.of(at(1, 500, "pg2")), List.of(
                new LeaderChange(LeaderChange.SWITCHOVER, "pg1", "pg2", T0, "pghactl", "", 0),
                new LeaderChange(LeaderChange.SWITCHOVER, "pg1", "pg3", T0 + 499_000, "pghactl", "", 0)));
        assertEquals("failover", rows.get(0).why());
        assertEquals("", rows.get(0).from(), "the first switch's old leader is known only from a record");
    }

    @Test
    void aRestoreMatchesItsTimelineAndOneNoSwitchExplainsIsARowOfItsOwn() {
        LeaderChange restore = new LeaderChange(LeaderChange.RESTORE, "", "pg1", T0 + 3_600_000, "pghactl",
                "cluster restore r1 to the end of the archive from backup b1", 3);
        assertEquals("restore", LeaderHistory.join(List.of(at(2, 3_000, "pg1")), List.of(restore)).get(0).why());
        List<LeaderHistory.Row> alone = LeaderHistory.join(List.of(), List.of(restore,
                new LeaderChange(LeaderChange.SWITCHOVER, "pg1", "pg2", T0, "pghactl", "", 0)));
        assertEquals(List.of(new LeaderHistory.Row(3, T0 + 3_600_000, "", "pg1", "restore",
                "cluster restore r1 to the end of the archive from backup b1, by pghactl")), alone);
    }

    @Test
    void patronisTimestampsWithAnOffsetAreRead() {
        assertEquals(T0 + 123, LeaderHistory.epochMillis("2026-12-06T05:00:00.123456+00:00"));
        assertEquals(T0, LeaderHistory.epochMillis("2026-12-06T06:00:00+01:00"));
        assertEquals(0, LeaderHistory.epochMillis("yesterday"));
    }
}
