package io.pgha.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PatroniClientTest {
    @Test
    void patroni4sReplicationStatesAreRunningMembers() {
        // GET /cluster: Patroni 3.0 says "running" for a replica, Patroni 4 its replication state.
        assertEquals("running", PatroniClient.memberState("running"));
        assertEquals("running", PatroniClient.memberState("streaming"));
        assertEquals("running", PatroniClient.memberState("in archive recovery"));
        assertEquals("starting", PatroniClient.memberState("starting"));
        PatroniClient.ClusterMember replica = new PatroniClient.ClusterMember("pg2", "sync_standby",
                PatroniClient.memberState("streaming"), "10.0.1.2", 1, 0, false, false);
        assertTrue(replica.canTakeOver());
        assertEquals(List.of(replica), PatroniClient.takeoverCandidates(List.of(replica)));
    }

    @Test
    void theLeaderIsMasterOnPatroni3AndPrimaryOnPatroni4() {
        assertTrue(new PatroniClient.Member("running", "master", 1, false, "", false, false, "3.0.2").isLeader());
        assertTrue(new PatroniClient.Member("running", "primary", 1, false, "", false, false, "4.0.7").isLeader());
    }
}
