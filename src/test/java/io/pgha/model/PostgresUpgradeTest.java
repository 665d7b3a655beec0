package io.pgha.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class PostgresUpgradeTest {
    private static final PostgresUpgrade CHECK = new PostgresUpgrade("20261205T081500Z", PostgresUpgrade.CHECK, 17,
            18);

    @Test
    void aRequestCarriesTheUpgradeToTheDataHostAndBack() throws Exception {
        HostRequest request = HostRequest.fromJson(CHECK.in(PostgresUpgrade.UPGRADE).request().toJson());
        assertEquals("17:18", request.set());
        assertEquals(Optional.of(CHECK.in(PostgresUpgrade.UPGRADE)), DataPhase.of(request));
        assertEquals(Optional.empty(), PostgresUpgrade.of(new HostRequest(CHECK.id(), HostRequest.BACKUP, "full", "")),
                "a backup request is no upgrade");
        assertEquals(Optional.empty(), ClusterRestore.of(request), "nor a restore");
    }

    @Test
    void thePhasesSayWhatPatroniMayDo() {
        assertTrue(CHECK.active() && !CHECK.fenced() && !CHECK.stopped());
        PostgresUpgrade fence = CHECK.in(PostgresUpgrade.FENCE);
        assertTrue(fence.fenced() && !fence.stopped(), "fenced: Patroni runs, tagged nofailover");
        for (String phase : new String[] {PostgresUpgrade.STOP, PostgresUpgrade.UPGRADE, PostgresUpgrade.ROLLBACK}) {
            assertTrue(CHECK.in(phase).fenced() && CHECK.in(phase).stopped(), phase);
        }
        PostgresUpgrade rejoin = CHECK.in(PostgresUpgrade.REJOIN);
        assertTrue(rejoin.active() && !rejoin.fenced() && !rejoin.stopped());
        assertTrue(!CHECK.in(PostgresUpgrade.DONE).active());
    }

    @Test
    void anythingButTheExactFormsIsRefusedNamingTheField() {
        assertEquals("major upgrade id: expected yyyyMMddTHHmmssZ, found '../x'", assertThrows(
                IllegalArgumentException.class, () -> new PostgresUpgrade("../x", "check", 17, 18)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new PostgresUpgrade("20261205T081500Z", "go",
                17, 18)).getMessage().startsWith("major upgrade phase: expected one of [check, fence,"));
        assertEquals("major upgrade: expected a higher major than 18, found 17", assertThrows(
                IllegalArgumentException.class, () -> new PostgresUpgrade("20261205T081500Z", "check", 18, 17))
                .getMessage());
        assertEquals("major upgrade majors: expected FROM:TO such as 17:18, found '17:18 --x'", assertThrows(
                IllegalArgumentException.class, () -> PostgresUpgrade.of(new HostRequest("20261205T081500Z",
                        HostRequest.UPGRADE, "check", "", "17:18 --x"))).getMessage());
    }
}
