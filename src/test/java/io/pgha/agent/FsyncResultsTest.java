package io.pgha.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.model.ClusterSpec;
import io.pgha.model.HostStatus;
import io.pgha.model.Role;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FsyncResultsTest {
    @TempDir
    Path dir;

    /**
     * The loop measures a disk before it takes a role, while the prober still holds the state from before that role:
     * the measurement stays, and shows with every state that names the role.
     */
    @Test
    void aProbeShowsForTheStatesThatNameItsRoleAndIsKeptWhileAStateDoesNot() {
        FsyncResults fsync = new FsyncResults();
        ClusterSpec.Disk everythingSlow = new ClusterSpec.Disk(0, true);
        assertTrue(fsync.probe("postgres data", dir.resolve("postgresql"), everythingSlow).isPresent());

        assertEquals(List.of(), fsync.lines(everythingSlow, Set.of()), "a state without the data role");
        assertFalse(fsync.anySlow(everythingSlow, Set.of(Role.ETCD)), "no etcd directory was measured");
        List<HostStatus.FsyncLine> lines = fsync.lines(everythingSlow, Set.of(Role.DATA, Role.LB));
        assertEquals(1, lines.size(), lines.toString());
        assertEquals("postgres data", lines.get(0).name());
        assertEquals(dir.toString(), lines.get(0).directory(), "measured where the directory will be");
        assertTrue(fsync.anySlow(everythingSlow, Set.of(Role.DATA)));
        assertEquals(1, fsync.warnings(everythingSlow, Set.of(Role.DATA)).size());
    }
}
