package io.pgha.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.model.BackupReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class PgBackRestTest {

    @Test
    void infoAsPgBackRest245PrintsIt() throws Exception {
        String json;
        try (var in = PgBackRestTest.class.getResourceAsStream("info-2.45.json")) {
            json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        PgBackRest.Info info = PgBackRest.parseInfo(json);
        assertEquals(List.of(new BackupReport.BackupSet("20261127-221608F", "full", 1795817768, 1795817772, 23301858,
                4574724, "000000010000000000000005", "000000010000000000000005")), info.backups());
        assertEquals("000000010000000000000001", info.walMin());
        assertEquals("000000010000000000000007", info.walMax());
        assertEquals("ok", info.status());
    }

    @Test
    void aBackupPgBackRestMarksAsFailedIsLeftOutAndAnEmptyStanzaHasNoWal() throws Exception {
        PgBackRest.Info info = PgBackRest.parseInfo("""
                [{"name":"demo","archive":[],"backup":[{"label":"x","type":"full","error":true}],
                  "status":{"code":2,"message":"no valid backups"}}]""");
        assertEquals(List.of(), info.backups());
        assertEquals("", info.walMin());
        assertEquals("no valid backups", info.status());
    }

    @Test
    void somethingThatIsNoStanzaListIsAnError() {
        IOException e = assertThrows(IOException.class, () -> PgBackRest.parseInfo("{}"));
        assertTrue(e.getMessage().contains("expected a list of stanzas"), e.getMessage());
    }
}
