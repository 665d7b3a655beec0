package io.pgha.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.dcs.Lock;
import io.pgha.model.Health;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** When a replica that does not stream is reinitialised, and when never. */
class ReplicaRepairTest {
    private static final Duration AFTER = Duration.ofSeconds(120);
    private final AtomicLong now = new AtomicLong();
    private String leaderState = "running";
    private boolean lockFree = true;
    private final FakePatroni patroni = new FakePatroni(
            () -> new PatroniClient.Member("running", "replica", 2, false, "start " + this.patroni.starts, false,
                    false, "3.0.2"),
            () -> List.of(new PatroniClient.ClusterMember("pg1", "leader", leaderState, "pg1", 3, 0, false, false),
                    new PatroniClient.ClusterMember("pg2", "replica", "running", "pg2", 2, -1, false, false)));
    private final List<String> calls = patroni.calls;

    private final Lock lock = () -> lockFree ? Optional.of(new Lock.Held() {
        @Override
        public void refresh() {
        }

        @Override
        public void close() {
        }
    }) : Optional.empty();

    private final ReplicaRepair repair = new ReplicaRepair("pg2", patroni, lock, now::get);

    private static Health replica(String state, boolean streaming) {
        return new Health(null, new Health.Patroni("replica", state, 2L, false, "pg1", null, null, null),
                new Health.Postgres(true, true, 1L, 100L, 0L, null, streaming, -1L), null);
    }

    private void later(long seconds) {
        now.addAndGet(Duration.ofSeconds(seconds).toNanos());
    }

    @Test
    void aReplicaNotStreamingForTheAllowedTimeIsReinitialisedOnce() throws Exception {
        assertTrue(repair.step(replica("running", false), AFTER), "watching");
        later(119);
        assertTrue(repair.step(replica("running", false), AFTER));
        assertEquals(List.of(), calls, "not before the allowed time");
        later(2);
        assertFalse(repair.step(replica("running", false), AFTER));
        assertEquals(List.of("reinitialize"), calls);
        assertTrue(repair.note().orElseThrow().contains("not streaming from leader pg1 for 121 s"),
                repair.note().toString());
        assertTrue(repair.step(replica("running", false), AFTER), "the clock starts again");
        assertEquals(List.of("reinitialize"), calls);
    }

    @Test
    void streamingAgainForAWhileResetsTheClock() throws Exception {
        repair.step(replica("running", false), AFTER);
        later(100);
        assertTrue(repair.step(replica("running", true), AFTER), "streaming, not yet for long");
        later(ReplicaRepair.STEADY.toSeconds());
        assertFalse(repair.step(replica("running", true), AFTER), "recovered");
        repair.step(replica("running", false), AFTER);
        later(100);
        repair.step(replica("running", false), AFTER);
        assertEquals(List.of(), calls);
    }

    @Test
    void aReplicaThatCrashesMomentsAfterEachStartIsReinitialised() throws Exception {
        repair.step(replica("crashed", false), AFTER);
        for (int i = 0; i < 5; i++) {
            later(10);
            assertTrue(repair.step(replica("running", true), AFTER), "streams for 10 s");
            later(10);
            repair.step(replica("crashed", false), AFTER);
        }
        later(15);
        assertTrue(repair.step(replica("crashed", false), AFTER));
        assertEquals(List.of(), calls, "120 s not yet over");
        later(6);
        assertFalse(repair.step(replica("crashed", false), AFTER));
        assertEquals(List.of("reinitialize"), calls, "its brief streams did not reset the clock");
    }

    @Test
    void neverWithoutARunningLeaderTheLockOrOnTheLeader() throws Exception {
        leaderState = "stopped";
        repair.step(replica("running", false), AFTER);
        later(300);
        assertTrue(repair.step(replica("running", false), AFTER));
        leaderState = "running";
        lockFree = false;
        assertTrue(repair.step(replica("running", false), AFTER));
        assertEquals(List.of(), calls, "the leader may hold writes this replica lacks; the lock is taken");
        Health leader = new Health(null, new Health.Patroni("leader", "running", 3L, false, "pg2", null, null, null), null, null);
        assertFalse(repair.step(leader, AFTER));
        assertFalse(repair.step(replica("creating replica", false), AFTER), "a clone under way is left alone");
        assertFalse(repair.step(replica("running", false), Duration.ZERO), "0: repair is off");
        assertEquals(List.of(), calls);
    }
}
