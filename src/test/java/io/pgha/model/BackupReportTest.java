package io.pgha.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BackupReportTest {
    private static final BackupReport.BackupSet FULL = new BackupReport.BackupSet("20261127-221608F", "full", 10, 14,
            100, 20, "000000010000000000000005", "000000010000000000000005");

    private static BackupReport.Job job(String kind, String id, String state, long started) {
        return new BackupReport.Job(kind, id, "", state, started, state.equals("running") ? 0 : started + 1000,
                state.equals("failed") ? "pgbackrest restore failed (exit 75): ERROR: [075]: no backup" : "done",
                null, null);
    }

    @Test
    void aFailedDrillIsAWarningAndTheLastJobOfAKindIsTheNewest() {
        BackupReport r = new BackupReport("ok", List.of(FULL), "a", "b", List.of(job("drill", "", "ok", 1000),
                job("backup", "x", "ok", 2000), job("drill", "", "failed", 5000)));
        assertEquals("failed", r.job("drill").orElseThrow().state());
        assertEquals(List.of("drill failed at 1970-01-01T00:00:06Z: pgbackrest restore failed (exit 75): ERROR:"
                + " [075]: no backup"), r.warnings());
        assertEquals(Optional.of(FULL), r.latest());
        assertEquals("backup", r.request("x").orElseThrow().kind());
    }

    @Test
    void aStanzaNotReadyAndAnEmptyRepositoryAreWarningsButNotWhileTheFirstBackupRuns() {
        assertEquals(List.of("backup: stanza not created yet: no primary"),
                new BackupReport("stanza not created yet: no primary", List.of(), "", "", List.of()).warnings());
        assertEquals(List.of("backup: the repository holds no backup yet"),
                new BackupReport("ok", List.of(), "", "", List.of()).warnings());
        assertEquals(List.of(), new BackupReport("ok", List.of(), "", "", List.of(job("backup", "", "running", 1)))
                .warnings());
    }

    @Test
    void aReportTravelsInTheHostStatusAndARequestAsJson() throws Exception {
        HostRequest r = new HostRequest("id-1", HostRequest.RESTORE, "", "2026-11-27T22:16:21.811Z");
        assertEquals("{\"id\":\"id-1\",\"kind\":\"restore\",\"time\":\"2026-11-27T22:16:21.811Z\"}", r.toJson());
        assertEquals(r, HostRequest.fromJson(r.toJson()));
        IOException e = assertThrows(IOException.class, () -> HostRequest.fromJson("{\"id\":\"x\",\"kind\":\"rm\"}"));
        assertTrue(e.getMessage().contains("expected a request with an id and a kind"), e.getMessage());
    }
}
