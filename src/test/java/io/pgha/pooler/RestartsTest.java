package io.pgha.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgha.postgres.PatroniClient;
import java.util.List;
import org.junit.jupiter.api.Test;

class RestartsTest {
    private static final List<String> DATA = List.of("pg1", "pg2", "pg3");

    private static PatroniClient.ClusterMember member(String name, String role, boolean pending) {
        return new PatroniClient.ClusterMember(name, role, "running", name, 2, 0, pending, false);
    }

    private static final List<PatroniClient.ClusterMember> LISTED = List.of(member("pg1", "leader", true),
            member("pg2", "replica", false), member("pg3", "sync_standby", true));

    @Test
    void allRestartsTheReplicasInTheSpecsOrderThenTheLeader() {
        assertEquals(List.of("pg2", "pg3", "pg1"), Restarts.order(DATA, List.of(), false, LISTED));
    }

    @Test
    void pendingLeavesOutTheHostsWithNoRestartPending() {
        assertEquals(List.of("pg3", "pg1"), Restarts.order(DATA, List.of(), true, LISTED));
        assertEquals(List.of(), Restarts.order(DATA, List.of("pg2"), true, LISTED));
    }

    @Test
    void oneHostIsJustThatHostAndAnUnlistedOneCountsAsAReplica() {
        assertEquals(List.of("pg1"), Restarts.order(DATA, List.of("pg1"), false, LISTED));
        assertEquals(List.of("pg2"), Restarts.order(DATA, List.of("pg2"), false, LISTED.subList(0, 1)));
    }
}
