package io.pgha.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The spec's spelling of a value against pg_settings' (rows as PostgreSQL 15 shows them). */
class PgSettingTest {
    private static PgSetting row(String name, String setting, String unit, String vartype) {
        return new PgSetting(name, setting, unit, vartype, setting, "sighup");
    }

    @Test
    void memoryInAnyUnit() {
        PgSetting sharedBuffers = row("shared_buffers", "16384", "8kB", "integer");
        assertTrue(sharedBuffers.has("128MB"));
        assertTrue(sharedBuffers.has("131072kB"));
        assertTrue(sharedBuffers.has("16384"), "no unit: the setting's own");
        assertFalse(sharedBuffers.has("256MB"));
        PgSetting walKeep = row("wal_keep_size", "320", "MB", "integer");
        assertTrue(walKeep.has("320MB"));
        assertTrue(walKeep.has(" 320 MB "));
        assertFalse(walKeep.has("1GB"));
        assertTrue(row("work_mem", "8192", "kB", "integer").has("8MB"));
    }

    @Test
    void timeInAnyUnit() {
        PgSetting timeout = row("checkpoint_timeout", "300", "s", "integer");
        assertTrue(timeout.has("5min"));
        assertTrue(timeout.has("300s"));
        assertTrue(timeout.has("300000ms"));
        assertFalse(timeout.has("6min"));
        assertTrue(row("random_page_cost", "1.1", "", "real").has("1.1"));
    }

    @Test
    void booleansEnumsAndStrings() {
        assertTrue(row("hot_standby", "on", "", "bool").has("true"));
        assertTrue(row("hot_standby", "on", "", "bool").has("on"));
        assertFalse(row("hot_standby", "on", "", "bool").has("off"));
        assertTrue(row("wal_level", "replica", "", "enum").has("REPLICA"));
        assertTrue(row("archive_command", "/bin/true", "", "string").has("/bin/true"));
        assertFalse(row("archive_command", "/bin/true", "", "string").has("/bin/false"));
        assertFalse(row("max_connections", "100", "", "integer").has("lots"), "not a number: never in effect");
    }

    @Test
    void numbersForTheHotStandbyComparison() {
        PgSetting maxConnections = row("max_connections", "150", "", "integer");
        assertEquals(Optional.of(120.0), maxConnections.number("120"));
        assertEquals(Optional.of(150.0), maxConnections.numericSetting());
        assertEquals(Optional.empty(), row("wal_level", "replica", "", "enum").numericSetting());
        assertTrue(new PgSetting("max_connections", "150", "", "integer", "150", "postmaster").needsRestart());
    }
}
