package io.pgha.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StatusLineTest {
    private static HostStatus status(String role, long rev, boolean converged, Map<String, Object> health,
                                     List<String> problems, String error) {
        return new HostStatus("pg2", "10.0.1.2", role, rev, converged, List.of(), List.of(), health, problems,
                List.of(), List.of(), List.of(), error, "0.1.0", 1, 0);
    }

    @Test
    void replica() {
        Map<String, Object> health = Map.of(
                "patroni", Map.of("role", "replica", "state", "running", "leader", "pg1"),
                "postgres", Map.of("streaming", true, "lag_bytes", 0L));
        assertEquals("data: replica of pg1, streaming, lag 0 B, spec rev 41 applied",
                StatusLine.of(status("data", 41, true, health, List.of(), "")));
    }

    @Test
    void leader() {
        Map<String, Object> health = Map.of(
                "patroni", Map.of("role", "leader", "state", "running", "leader", "pg2"),
                "postgres", Map.of("replicas", List.of(Map.of("name", "pg1", "state", "streaming"),
                        Map.of("name", "pg3", "state", "startup"))));
        assertEquals("data: leader, 1 replica streaming, spec rev 7 applied",
                StatusLine.of(status("data", 7, true, health, List.of(), "")));
    }

    @Test
    void etcdWithAMemberDownAndNoSpec() {
        Map<String, Object> health = Map.of("etcd", Map.of("healthy", true,
                "members", Map.of("etcd1", true, "etcd2", false, "etcd3", true)));
        assertEquals("etcd: member healthy (2/3 members healthy), no spec yet",
                StatusLine.of(status("etcd", 0, false, health, List.of(), "")));
    }

    @Test
    void everyRoleOfAColocatedHost() {
        Map<String, Object> health = Map.of(
                "etcd", Map.of("healthy", true, "members", Map.of("solo", true)),
                "patroni", Map.of("role", "leader", "state", "running", "leader", "solo"),
                "postgres", Map.of("replicas", List.of()),
                "haproxy", Map.of("primary", Map.of("solo", "UP"), "replicas", Map.of("solo", "DOWN")));
        assertEquals("etcd+data+lb: etcd member healthy (1/1 members healthy), leader, 0 replicas streaming,"
                        + " writes -> solo, reads -> none, spec rev 9 applied",
                StatusLine.of(status("etcd+data+lb", 9, true, health, List.of(), "")));
    }

    @Test
    void lbAndTroubleComeLast() {
        Map<String, Object> health = Map.of("haproxy", Map.of(
                "primary", Map.of("pg1", "DOWN", "pg2", "UP"), "replicas", Map.of("pg1", "UP 1/2", "pg2", "DOWN")));
        assertEquals("lb: writes -> pg2, reads -> pg1, spec rev 3 converging; spec rev 4 refused: bad",
                StatusLine.of(status("lb", 3, false, health, List.of("x"), "spec rev 4 refused: bad\nmore")));
    }
}
