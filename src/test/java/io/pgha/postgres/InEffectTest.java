package io.pgha.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgha.model.Pending;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What is pending, and what it waits for, on a leader and on its replicas. */
class InEffectTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Map<String, PgSetting> running(int maxConnections, String workMem) {
        return Map.of("max_connections", new PgSetting("max_connections", Integer.toString(maxConnections), "",
                        "integer", Integer.toString(maxConnections), "postmaster"),
                "work_mem", new PgSetting("work_mem", workMem, "kB", "integer", workMem + "kB", "user"));
    }

    @Test
    void nothingPendingWhenEverythingIsInEffect() {
        assertEquals(List.of(), InEffect.parameters(Map.of("max_connections", "100", "work_mem", "4MB"),
                running(100, "4096"), Map.of(), true));
    }

    @Test
    void aRestartParameterWaitsForARestartAndAReloadableOneForTheReload() {
        List<Pending> pending = InEffect.parameters(Map.of("max_connections", "150", "work_mem", "8MB"),
                running(100, "4096"), Map.of(), true);
        assertEquals(List.of(new Pending("max_connections", "100", "150", Pending.RESTART),
                new Pending("work_mem", "4096kB", "8MB", Pending.RELOAD)),
                pending.stream().sorted(java.util.Comparator.comparing(Pending::what)).toList());
    }

    @Test
    void aLoweredHotStandbyParameterOnAReplicaWaitsForTheLeader() {
        Map<String, String> desired = Map.of("max_connections", "120");
        assertEquals(List.of(new Pending("max_connections", "150", "120", Pending.LEADER_RESTART)),
                InEffect.parameters(desired, running(150, "4096"), running(150, "4096"), false),
                "the leader still runs 150: Patroni would start this replica with 150 again");
        assertEquals(List.of(new Pending("max_connections", "150", "120", Pending.RESTART)),
                InEffect.parameters(desired, running(150, "4096"), running(120, "4096"), false),
                "once the leader runs 120, the replica's own restart applies it");
        assertEquals(List.of(new Pending("max_connections", "150", "120", Pending.RESTART)),
                InEffect.parameters(desired, running(150, "4096"), running(150, "4096"), true),
                "on the leader itself it is its own restart");
        assertTrue(InEffect.lowersHotStandbyMinimum(desired, running(150, "4096")));
        assertTrue(!InEffect.lowersHotStandbyMinimum(Map.of("max_connections", "200"), running(150, "4096")));
    }

    @Test
    void aRaisedHotStandbyParameterOnAReplicaIsItsOwnRestart() {
        assertEquals(List.of(new Pending("max_connections", "100", "150", Pending.RESTART)),
                InEffect.parameters(Map.of("max_connections", "150"), running(100, "4096"), running(100, "4096"),
                        false));
    }

    @Test
    void anUnknownParameterIsNeverInEffect() {
        assertEquals(List.of(new Pending("no_such_thing", "", "1", Pending.UNKNOWN)),
                InEffect.parameters(Map.of("no_such_thing", "1"), running(100, "4096"), Map.of(), true));
    }

    @Test
    void patroniConfigDifferencesByPath() throws Exception {
        List<Pending> pending = InEffect.patroniConfig(
                JSON.readTree("{\"ttl\": 15, \"postgresql\": {\"parameters\": {\"max_connections\": \"150\"}}}"),
                JSON.readTree("{\"ttl\": 30, \"postgresql\": {\"parameters\": {\"max_connections\": \"100\","
                        + " \"work_mem\": \"8MB\"}}}"));
        assertEquals(List.of(new Pending("patroni ttl", "30", "15", Pending.PATRONI_CONFIG),
                new Pending("patroni postgresql.parameters.max_connections", "100", "150", Pending.PATRONI_CONFIG),
                new Pending("patroni postgresql.parameters.work_mem", "8MB", "(removed)", Pending.PATRONI_CONFIG)),
                pending);
    }
}
