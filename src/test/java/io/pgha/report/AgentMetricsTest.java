package io.pgha.report;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.model.Health;
import io.pgha.model.HostStatus;
import io.pgha.model.Maintenance;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AgentMetricsTest {
    private static HostStatus replica(boolean streaming, Health.Patroni patroni, Maintenance pause, long refused,
                                      List<Health.Replica> replicas) {
        Health.Postgres pg = new Health.Postgres(true, replicas == null, null, null, null, replicas,
                replicas == null ? streaming : null, null);
        return new HostStatus(HostStatus.SCHEMA, "pg2", "10.0.1.2", "data", 7, true, HostStatus.APPLIED, List.of(),
                List.of(), List.of(), new Health(null, patroni, pg, null), List.of(), List.of(), List.of(), List.of(),
                refused == 0 ? "" : "spec rev " + refused + " refused", "0.1.0", 1, 0, 0, null, null, refused, pause);
    }

    private static Health.Patroni patroni(String role, boolean paused) {
        return new Health.Patroni(role, "running", 3L, null, "pg1", null, "4.0.7", null, paused ? Boolean.TRUE : null);
    }

    @Test
    void healthPauseRefusalTimelineAndStreamingAreExported() {
        AgentMetrics m = new AgentMetrics();
        m.certificateExpiry(() -> Optional.of(Instant.ofEpochSecond(1_800_000_000L)));
        m.update(replica(true, patroni("replica", true), new Maintenance("x", 1, "ops"), 0, null));
        String text = m.scrape();
        assertTrue(text.contains("pgha_healthy 1.0"), text);
        assertTrue(text.contains("pgha_paused 1.0"), text);
        assertTrue(text.contains("pgha_patroni_paused 1.0"), text);
        assertTrue(text.contains("pgha_patroni_timeline 3.0"), text);
        assertTrue(text.contains("pgha_postgres_streaming{member=\"pg2\"} 1.0"), text);
        assertTrue(text.contains("pgha_certificate_expiry_timestamp_seconds 1.8E9"), text);
        assertTrue(text.contains("pgha_agent_cpu_seconds_total"), text);

        m.update(replica(false, Health.Patroni.UNREACHABLE, null, 1132, null));
        text = m.scrape();
        assertTrue(text.contains("pgha_healthy 0.0"), "a refused spec is a reason: " + text);
        assertTrue(text.contains("pgha_paused 0.0"), text);
        assertTrue(text.contains("pgha_spec_refused_revision 1132.0"), text);
        assertTrue(text.contains("pgha_postgres_streaming{member=\"pg2\"} 0.0"), "a replica whose Patroni does not"
                + " answer: " + text);

        m.update(replica(false, patroni("leader", false), null, 0, List.of()));
        assertFalse(m.scrape().contains("pgha_postgres_streaming{"), "promoted: it streams from nobody, and no"
                + " alert may say it does not stream: " + m.scrape());
    }

    @Test
    void aReplicaGoneFromTheLeadersListKeepsNoLag() {
        AgentMetrics m = new AgentMetrics();
        m.update(replica(false, patroni("leader", false), null, 0,
                List.of(new Health.Replica("pg2", "streaming", "async", 10L), new Health.Replica("pg3", "streaming",
                        "async", 20L))));
        assertTrue(m.scrape().contains("replica=\"pg3\""), m.scrape());
        assertFalse(m.scrape().contains("pgha_postgres_streaming{"), "the leader streams from nobody: " + m.scrape());
        m.update(replica(false, patroni("leader", false), null, 0,
                List.of(new Health.Replica("pg2", "streaming", "async", 10L))));
        assertFalse(m.scrape().contains("replica=\"pg3\""), m.scrape());
    }
}
