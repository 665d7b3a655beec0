package io.pgha.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ClusterRestoreTest {
    private static final ClusterRestore STOP = new ClusterRestore("20261128T012300Z", ClusterRestore.STOP,
            "2026-11-28T01:02:03.456Z", "20261128-010000F_20261128-011500I");

    @Test
    void aRequestCarriesTheRestoreToTheDataHostAndBack() throws Exception {
        HostRequest request = HostRequest.fromJson(STOP.in(ClusterRestore.BOOTSTRAP).request().toJson());
        assertEquals(Optional.of(STOP.in(ClusterRestore.BOOTSTRAP)), ClusterRestore.of(request));
        assertEquals(Optional.empty(), ClusterRestore.of(new HostRequest("x", HostRequest.BACKUP, "full", "")),
                "a backup request is no restore");
        assertTrue(STOP.active() && STOP.in(ClusterRestore.BOOTSTRAP).active());
        assertTrue(!STOP.in(ClusterRestore.DONE).active());
    }

    @Test
    void theTargetBecomesPgBackRestsOptions() {
        assertEquals(List.of("--type=time", "--target=2026-11-28 01:02:03.456000+00", "--target-action=promote"),
                STOP.targetOptions());
        assertEquals(List.of("--type=default"), ClusterRestore.targetOptions(""), "the end of the archive");
    }

    @Test
    void anythingButTheExactFormsIsRefusedNamingTheField() {
        // Each value reaches a command line or a directory name.
        assertEquals("cluster restore id: expected yyyyMMddTHHmmssZ, found '../../etc'", assertThrows(
                IllegalArgumentException.class, () -> new ClusterRestore("../../etc", "stop", "",
                        "20261128-010000F")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ClusterRestore("20261128T012300Z", "stop",
                "", "20261128-010000F --repo1-path=/tmp")).getMessage().startsWith("cluster restore set: expected"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ClusterRestore("20261128T012300Z", "stop",
                "yesterday", "20261128-010000F")).getMessage().startsWith("cluster restore time: expected"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ClusterRestore("20261128T012300Z", "go",
                "", "20261128-010000F")).getMessage().startsWith("cluster restore phase: expected"));
    }
}
