package io.pgha.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.dcs.MemoryDcs;
import io.pgha.model.Health;
import io.pgha.model.HostStatus;
import io.pgha.model.PoolerPause;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SwitchoverPauseTest {
    private static HostStatus lb(String host, String pausedFor, String detail) {
        Health health = new Health(null, null, null, null, null, null,
                new Health.Pooler(6432, true, 4L, 2L, pausedFor, detail));
        return new HostStatus(HostStatus.SCHEMA, host, "10.0.2.1", "lb", 3, true, HostStatus.APPLIED, List.of(),
                List.of(), List.of(), health, List.of(), List.of(), List.of(), List.of(), "", "0.1.0", 1, 0, 0, null,
                null);
    }

    /** lb1 reports each word of the key back at once, as its agent would; lb2 has no status; lb3 cannot pause. */
    @Test
    void eachRunningPoolerPausesAndResumesOnTheNewLeaderTheOthersAreNamed() throws Exception {
        MemoryDcs dcs = new MemoryDcs();
        dcs.putStatus(lb("lb3", null, null), 0);
        dcs.watchPoolerPause(0, () -> {
            try {
                Optional<PoolerPause> p = dcs.poolerPause().map(v -> v.value());
                String paused = p.filter(x -> x.resumeOn().isEmpty()).map(PoolerPause::id).orElse(null);
                dcs.putStatus(lb("lb1", paused, null), 0);
                p.ifPresent(x -> {
                    try {
                        dcs.putStatus(lb("lb3", null, "pause for switchover " + x.id() + " failed: timeout"), 0);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, e -> { });
        SwitchoverPause pause = SwitchoverPause.begin(dcs, List.of("lb1", "lb2", "lb3"));
        assertEquals(List.of("lb1"), pause.paused());
        assertEquals(2, pause.left().size(), pause.left().toString());
        assertTrue(pause.left().get(0).startsWith("lb2: no status"), pause.left().toString());
        assertTrue(pause.left().get(1).startsWith("lb3: pause for switchover"), pause.left().toString());
        assertEquals(List.of(), pause.resumeOn("pg2", Duration.ofSeconds(5)), "lb1 resumed");
        assertEquals("pg2", dcs.poolerPause().orElseThrow().value().resumeOn());
        pause.close();
        assertTrue(dcs.poolerPause().isEmpty(), "the key goes: every pooler still paused resumes");
    }
}
