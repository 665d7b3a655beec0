package io.pgha.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class PoolerPauseTest {
    @Test
    void readsBackWhatItWrote() throws Exception {
        PoolerPause paused = new PoolerPause("id-1", null);
        assertEquals("{\"id\":\"id-1\"}", paused.toJson(), "no new leader while the switchover runs");
        assertEquals(paused, PoolerPause.TEXT.read(PoolerPause.TEXT.write(paused)));
        PoolerPause resuming = paused.resumingOn("pg2");
        assertEquals(resuming, PoolerPause.fromJson(resuming.toJson()));
        assertEquals("pg2", resuming.resumeOn());
    }

    @Test
    void aPauseWithoutAnIdIsRefusedSayingWhatWasExpected() {
        IOException e = assertThrows(IOException.class, () -> PoolerPause.fromJson("{\"resume_on\":\"pg2\"}"));
        assertTrue(e.getMessage().contains("expected a pooler pause with an id"), e.getMessage());
    }
}
