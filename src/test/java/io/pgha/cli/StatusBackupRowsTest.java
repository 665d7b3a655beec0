package io.pgha.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgha.model.BackupReport;
import io.pgha.model.Health;
import io.pgha.model.HostStatus;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusBackupRowsTest {
    private static HostStatus status(String host, BackupReport backup) {
        return new HostStatus(HostStatus.SCHEMA, host, "10.0.4.1", host.startsWith("backup") ? "backup" : "", 3, true,
                HostStatus.APPLIED, List.of(), List.of(), List.of(), Health.NONE, List.of(), List.of(), List.of(),
                List.of(), "", "0.1.0", 1, 0, 0, null, backup);
    }

    @Test
    void theRepositoryHostsNewestBackupAndLastJobsAndASpareWithoutAStanza() {
        long now = 1_795_818_000_000L;
        BackupReport repository = new BackupReport("ok", List.of(new BackupReport.BackupSet("20261127-221608F",
                "full", 1_795_817_768, 1_795_817_772, 1, 1, "", "")), "", "", List.of(
                new BackupReport.Job("backup", "", "full", "ok", now - 300_000, now - 293_600, "", null, null),
                new BackupReport.Job("drill", "", "", "running", now - 2_000, 0, "", null, null)));
        BackupReport spare = new BackupReport("", List.of(), "", "", List.of(
                new BackupReport.Job("restore", "x", "latest", "ok", now - 10_000, now - 2_000, "", "10.0.3.1",
                        5432)));
        List<String[]> rows = StatusCommand.backupRows(List.of(status("pg1", null), status("backup1", repository),
                status("spare1", spare)), now);
        assertEquals(3, rows.size(), "a header, then only the hosts that report backups");
        assertArrayEquals(new String[] {"backup1", "ok", "1", "20261127-221608F (3m ago)", "ok 4m ago, 6.4 s",
                "running since 2s, 2.0 s"}, rows.get(1));
        assertArrayEquals(new String[] {"spare1", "-", "0", "-", "-", "-"}, rows.get(2));
    }
}
