package io.pgha.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.model.Health;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** When a replica's Patroni is made to forget the leader a failsafe call named, and when not. */
class FailsafeMemoryTest {
    private static final Duration TTL = Duration.ofSeconds(15);
    private final AtomicLong now = new AtomicLong();
    private String role = "replica";
    private boolean active = true;
    private boolean unlocked;
    private final FakePatroni patroni = new FakePatroni(
            () -> new PatroniClient.Member("running", role, 2, false, "start", active, unlocked, "3.0.2"), List::of);
    private final List<String> calls = patroni.calls;

    private static Health.Patroni seen(String role, boolean failsafe) {
        return new Health.Patroni(role, "running", 2L, false, "pg1", failsafe ? Boolean.TRUE : null, null, null);
    }

    @Test
    void aReplicaCalledOnFailsafeForgetsOnceTheOutageIsOverAndAgainIfCalledAgain() throws Exception {
        FailsafeMemory memory = new FailsafeMemory(now::get);
        assertFalse(memory.observe(seen("replica", false)), "never called: nothing to forget");
        assertTrue(memory.observe(seen("replica", true)));
        assertTrue(memory.step(patroni, TTL), "still active: the outage may go on");
        active = false;
        unlocked = true;
        assertTrue(memory.step(patroni, TTL), "no leader key yet: not over");
        assertEquals(List.of(), calls);
        unlocked = false;
        assertTrue(memory.step(patroni, TTL), "forgotten, now verifying");
        assertEquals(List.of("forget"), calls);
        active = true;
        assertFalse(memory.observe(seen("replica", true)), "our own call shows as active for a ttl: left to step");
        assertTrue(memory.isStale(), "until verified, the warning stays");
        now.addAndGet(Duration.ofSeconds(21).toNanos());
        assertTrue(memory.step(patroni, TTL), "still active a ttl after our call: a leader called again");
        active = false;
        assertTrue(memory.step(patroni, TTL));
        assertEquals(List.of("forget", "forget"), calls, "forgotten again");
        now.addAndGet(Duration.ofSeconds(21).toNanos());
        assertFalse(memory.step(patroni, TTL), "quiet a ttl after our call: done");
        assertFalse(memory.isStale());
    }

    @Test
    void aLeaderIsNeverCalledAndNeverRemembers() throws Exception {
        FailsafeMemory memory = new FailsafeMemory(now::get);
        assertFalse(memory.observe(seen("leader", true)), "the leader on failsafe is the caller");
        assertTrue(memory.observe(seen("replica", true)));
        role = "master";
        active = false;
        assertFalse(memory.step(patroni, TTL), "a leader refuses the call: forgotten once it is a replica again");
        assertTrue(memory.isStale());
        assertEquals(List.of(), calls);
    }
}
