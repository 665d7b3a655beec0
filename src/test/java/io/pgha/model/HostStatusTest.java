package io.pgha.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HostStatusTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static HostStatus sample() {
        Health health = new Health(
                new Health.Etcd("http://10.0.0.1:2379", true, "ok", Map.of("etcd1", true), 1.5, 2.5, 0L, 20480L,
                        2147483648L, null),
                new Health.Patroni("leader", "running", 2L, false, "pg1", null, null, null),
                new Health.Postgres(true, false, 7L, 100L, 1024L,
                        List.of(new Health.Replica("pg2", "streaming", "async", 0L)), null, null),
                new Health.Haproxy(Map.of("primary", Map.of("pg1", "UP"))));
        return new HostStatus(HostStatus.SCHEMA, "pg1", "10.0.1.1", "etcd+data+lb", 41, true, HostStatus.PENDING,
                List.of(new Pending("max_connections", "150", "120", Pending.LEADER_RESTART)),
                List.of(new HostStatus.ResourceLine("file:/etc/pgha-agent/patroni.yml", "ok", "")),
                List.of(new HostStatus.ProcessLine("patroni", "running", 123, 0, "")), health, List.of(),
                List.of(new HostStatus.DiskLine("postgres data", "/var/lib/pgha-agent/postgresql", "vda", 1.0, 2.0,
                        3L, 4L, 5.5, 0L, 10L, 20L)),
                List.of(new HostStatus.FsyncLine("postgres data", "/var/lib/pgha-agent", 0.5, 2.0, 10)),
                List.of("w"), "", "0.1.0", 99, 1700000000000L, 7, null, null);
    }

    @Test
    void jsonRoundTripsThroughTheRecordsOnly() throws IOException {
        HostStatus s = sample();
        assertEquals(s, HostStatus.fromJson(s.toJson()));
    }

    @Test
    void jsonFieldsAreTheDocumentedOnes() throws IOException {
        JsonNode n = JSON.readTree(sample().toJson());
        assertEquals(1, n.path("schema").asInt());
        assertEquals(41, n.path("spec_revision").asLong());
        assertEquals("pg1", n.path("health").path("patroni").path("leader").asText(), "the leader's name, a string");
        assertEquals("leader", n.path("health").path("patroni").path("role").asText());
        assertTrue(n.path("health").path("etcd").path("healthy").asBoolean());
        assertEquals("UP", n.path("health").path("haproxy").path("primary").path("pg1").asText());
        assertEquals(0, n.path("health").path("postgres").path("replicas").path(0).path("lag_bytes").asLong(-1));
        assertEquals(5.5, n.path("disk").path(0).path("busy_pct").asDouble());
        assertEquals(2.0, n.path("fsync").path(0).path("p99_ms").asDouble());
        assertEquals("pending", n.path("spec_state").asText());
        assertEquals("leader restart", n.path("pending").path(0).path("waits_for").asText());
        assertEquals(List.of("what", "running", "desired", "waits_for"), fields(n.path("pending").path(0)),
                "no derived fields (describe) leak into JSON");
        assertEquals(List.of("etcd", "patroni", "postgres", "haproxy"), fields(n.path("health")),
                "no derived fields leak into JSON");
    }

    private static List<String> fields(JsonNode node) {
        List<String> names = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void aPendingItemSaysWhatItWaitsFor() {
        assertEquals("max_connections 150 -> 120 waits for the leader's restart",
                new Pending("max_connections", "150", "120", Pending.LEADER_RESTART).describe());
        assertEquals("postgres settings could not be read back: connection refused",
                Pending.unreadable("postgres settings", "connection refused").describe());
    }

    @Test
    void significantLeavesOutWhatMovesAllTheTime() {
        HostStatus s = sample();
        HostStatus moved = new HostStatus(s.schema(), s.host(), s.address(), s.role(), s.specRevision(), s.converged(),
                s.specState(), s.pending(), s.resources(), s.processes(), new Health(s.health().etcd(), s.health().patroni(),
                new Health.Postgres(true, false, 9L, 100L, 4096L,
                        List.of(new Health.Replica("pg2", "streaming", "async", 512L)), null, null),
                s.health().haproxy()), s.problems(), List.of(), List.of(), s.warnings(), s.lastError(),
                s.agentVersion(), s.agentPid(), s.updated() + 1000, s.secretsRevision(), null, null);
        assertEquals(s.significant(), moved.significant());
        HostStatus notConverged = new HostStatus(s.schema(), s.host(), s.address(), s.role(), s.specRevision(), false,
                s.specState(), s.pending(), s.resources(), s.processes(), s.health(), s.problems(), s.disk(), s.fsync(), s.warnings(),
                s.lastError(), s.agentVersion(), s.agentPid(), s.updated(), s.secretsRevision(), null, null);
        assertTrue(!s.significant().equals(notConverged.significant()));
    }

    @Test
    void somethingElseIsRefusedWithAReason() {
        assertThrows(IOException.class, () -> HostStatus.fromJson("{\"not\": \"a status\"}"));
        assertThrows(IOException.class, () -> HostStatus.fromJson("{not json"));
        assertThrows(IOException.class, () -> HostStatus.fromJson("[]"));
    }
}
