package io.pgha.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgha.model.BackupReport;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RestoreSetTest {
    private static BackupReport.BackupSet set(String label, long stop) {
        return new BackupReport.BackupSet(label, "full", stop - 10, stop, 1, 1, "", "");
    }

    private static final List<BackupReport.BackupSet> BACKUPS = List.of(set("a", 100), set("b", 200), set("c", 300));

    @Test
    void aClusterRestoreStartsFromTheNewestBackupEndedByTheTarget() {
        assertEquals("b", WholeClusterRestore.setFor(BACKUPS, Optional.of(Instant.ofEpochSecond(250))).orElseThrow()
                .label());
        assertEquals("b", WholeClusterRestore.setFor(BACKUPS, Optional.of(Instant.ofEpochSecond(200))).orElseThrow()
                .label(), "a backup consistent at the very target");
        assertEquals(Optional.empty(), WholeClusterRestore.setFor(BACKUPS, Optional.of(Instant.ofEpochSecond(99))));
        assertEquals("c", WholeClusterRestore.setFor(BACKUPS, Optional.empty()).orElseThrow().label(),
                "the end of the archive: the newest");
    }
}
