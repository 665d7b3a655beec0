package io.pgha.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class MaintenanceTest {
    @Test
    void theStoredFormRoundTripsAndARecordWithoutSinceIsRefused() throws Exception {
        Maintenance pause = new Maintenance("SAN firmware", 1_796_000_000_000L, "ops1");
        assertEquals(pause, Maintenance.fromJson(pause.toJson()));
        assertEquals("PAUSED since 2026-11-30T00:53:20Z by ops1 (SAN firmware)", pause.describe());
        assertEquals("PAUSED since 2026-11-30T00:53:20Z", new Maintenance(null, 1_796_000_000_000L, null).describe());
        assertThrows(IOException.class, () -> Maintenance.fromJson("{\"reason\":\"x\"}"));
    }
}
