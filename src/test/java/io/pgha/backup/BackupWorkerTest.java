package io.pgha.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pgha.model.BackupReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the backup worker keeps across an agent restart: the schedule's last look, the last request run, the jobs. */
class BackupWorkerTest {
    @TempDir
    Path dir;

    @Test
    void whatWasSavedComesBackAndAJobThatWasRunningDiedWithTheAgent() throws IOException {
        BackupReport.Job done = new BackupReport.Job("backup", "id-1", "full", BackupReport.Job.OK, 1000, 2000,
                "backup 20261204-010000F", null, null);
        BackupReport.Job running = new BackupReport.Job("drill", "id-2", "", BackupReport.Job.RUNNING, 3000, 0, "",
                null, null);
        Path file = dir.resolve("backup-jobs.json");
        new BackupWorker.Saved(Map.of("full", 1234L), "id-2", List.of(done, running)).write(file);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));

        BackupWorker.Saved read = BackupWorker.Saved.read(file);
        assertEquals(Map.of("full", 1234L), read.considered());
        assertEquals("id-2", read.request(), "a request run before the restart is not run again");
        assertEquals(done, read.jobs().get(0));
        assertEquals(new BackupReport.Job("drill", "id-2", "", BackupReport.Job.FAILED, 3000, 3000,
                "the agent stopped while it ran", null, null), read.jobs().get(1));
    }

    @Test
    void noFileIsNothingSavedAndAnUnreadableOneSaysSo() throws IOException {
        assertEquals(BackupWorker.Saved.NONE, BackupWorker.Saved.read(dir.resolve("absent.json")));
        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{\"jobs\": [");
        assertThrows(IOException.class, () -> BackupWorker.Saved.read(broken));
    }
}
