package io.pgha.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class AgentLoopTest {
    @Test
    void anErrorWithoutAMessageIsReportedByItsType() {
        assertEquals("java.lang.NullPointerException", AgentLoop.describe(new NullPointerException()));
        assertEquals("java.lang.IllegalStateException", AgentLoop.describe(new IllegalStateException(" ")));
        assertEquals("disk full", AgentLoop.describe(new java.io.IOException("disk full")));
    }
}
