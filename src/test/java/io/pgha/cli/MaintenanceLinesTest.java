package io.pgha.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.model.AgentConfig;
import io.pgha.model.AgentConfigTest;
import io.pgha.model.ClusterSpec;
import io.pgha.model.ClusterSpecParser;
import io.pgha.model.Health;
import io.pgha.model.HostStatus;
import io.pgha.model.Maintenance;
import io.pgha.model.Pending;
import io.pgha.model.TestSpecs;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What pghactl status says of a pause, and what pghactl pause and resume wait for. */
class MaintenanceLinesTest {
    private static final Maintenance PAUSE = new Maintenance("SAN firmware", 1_796_000_000_000L, "ops1");

    private static HostStatus data(String host, String role, boolean patroniPaused, Maintenance m,
                                   List<Pending> pending) {
        Health.Patroni patroni = new Health.Patroni(role, "running", 2L, null, "pg1", null, "4.0.7", null,
                patroniPaused ? Boolean.TRUE : null);
        return new HostStatus(HostStatus.SCHEMA, host, "10.0.1.1", "data", 3, true, HostStatus.APPLIED, pending,
                List.of(), List.of(), new Health(null, patroni, null, null), List.of(), List.of(), List.of(),
                List.of(), "", "0.1.0", 1, 0, 0, null, null, 0, m);
    }

    private static Map<String, HostStatus> of(HostStatus... all) {
        Map<String, HostStatus> m = new LinkedHashMap<>();
        for (HostStatus s : all) {
            m.put(s.host(), s);
        }
        return m;
    }

    @Test
    void aPauseSaysSinceWhenWhyWhatWaitsAndWhichPatroniHasNotTakenItYet() {
        Pending restart = new Pending("max_connections", "200", "100", Pending.LEADER_RESTART);
        List<String> lines = StatusCommand.maintenanceLines(Optional.of(PAUSE), of(
                data("pg1", "leader", true, PAUSE, List.of(restart)), data("pg2", "replica", false, PAUSE,
                        List.of())));
        assertTrue(lines.get(0).startsWith("PAUSED since 2026-11-30T00:53:20Z by ops1 (SAN firmware): no automatic"
                + " failover; rolling restarts"), lines.toString());
        assertEquals("  Patroni not paused yet on pg2", lines.get(1));
        assertTrue(lines.get(2).startsWith("  waits for resume on pg1: max_connections"), lines.toString());
        assertEquals(3, lines.size(), "a leader runs: no word about a missing one; " + lines);
    }

    @Test
    void withoutALeaderWhilePausedTheStatusSaysWhyNoneIsElected() {
        List<String> lines = StatusCommand.maintenanceLines(Optional.of(PAUSE), of(
                data("pg2", "replica", true, PAUSE, List.of()), data("pg3", "replica", true, PAUSE, List.of())));
        assertEquals("  no leader: Patroni elects none while paused (pghactl resume lets it fail over)",
                lines.get(lines.size() - 1));
    }

    @Test
    void aPatroniPausedBehindTheAgentsBackIsAWarningAndAClusterRunningNormallySaysNothing() {
        assertEquals(List.of(), StatusCommand.maintenanceLines(Optional.empty(),
                of(data("pg1", "leader", false, null, List.of()))));
        assertTrue(StatusCommand.maintenanceLines(Optional.empty(), of(data("pg1", "leader", true, null, List.of())))
                .get(0).startsWith("WARNING: Patroni says paused on pg1 although the cluster is not"));
    }

    @Test
    void pauseWaitsForEveryAgentAndEveryPatroniThatAnswersAndNamesTheHostsThatCannot() throws Exception {
        AgentConfig agent = AgentConfig.parse(AgentConfigTest.MINIMAL, "agent.yml");
        ClusterSpec spec = new ClusterSpecParser(agent).parse(TestSpecs.GUIDE_HOSTS, "spec");
        Map<String, HostStatus> statuses = new LinkedHashMap<>();
        for (ClusterSpec.Host h : spec.hosts().values()) {
            statuses.put(h.name(), data(h.name(), "replica", h.roles().contains(io.pgha.model.Role.DATA), PAUSE,
                    List.of()));
        }
        String someData = spec.hostsWith(io.pgha.model.Role.DATA).get(0).name();
        String other = spec.hostsWith(io.pgha.model.Role.DATA).get(1).name();
        statuses.remove(someData);
        PauseCommand.Progress p = PauseCommand.progress(statuses, spec, true);
        assertEquals(Map.of(), p.waiting(), "every host that reports has taken it");
        assertEquals(List.of(someData), List.copyOf(p.away().keySet()), "a host down is named, not waited for");

        statuses.put(other, data(other, "replica", false, PAUSE, List.of()));
        assertEquals("Patroni says not paused yet", PauseCommand.progress(statuses, spec, true).waiting()
                .get(other));
        assertTrue(PauseCommand.progress(statuses, spec, false).waiting().values().stream()
                .allMatch(why -> why.equals("its agent has not seen the resume yet")), "resume waits for each agent");
    }
}
