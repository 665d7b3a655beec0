package io.pgha.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.model.AgentConfig;
import io.pgha.model.ClusterSpec;
import io.pgha.model.ClusterSpecParser;
import io.pgha.model.Role;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The lab's agent.yml and spec are built as data: whatever a value holds, the files parse back to it. */
class LabPlanTest {
    @Test
    void aValueWithQuotesAndColonsCannotBreakTheSpec() throws Exception {
        LabPlan plan = LabPlan.standard(3, 1);
        AgentConfig agent = AgentConfig.parse(plan.agentYmlText(plan.hosts().get(0), 30), "agent.yml");
        assertEquals(plan.etcdMembers(), agent.members());
        assertEquals(30, agent.driftSeconds());
        String tricky = "it's \"quoted\": #not a comment";
        ClusterSpec spec = new ClusterSpecParser(agent).parse(plan.specText(LabPlan.RECOMMENDED_TIMERS, true,
                Map.of("application_name", tricky, "max_connections", "100")), "lab spec");
        assertEquals(tricky, spec.postgres().parameters().get("application_name"));
        assertEquals("100", spec.postgres().parameters().get("max_connections"));
        assertEquals(7, spec.hosts().size());
        assertEquals(3, spec.hostsWith(Role.DATA).size());
        assertTrue(spec.patroni().synchronousMode());
        assertEquals(20, spec.patroni().ttl());
    }

    @Test
    void aLabWithABackupHostHasTheBackupSectionAndEachHostFindsTheOthersFiles() throws Exception {
        LabPlan plan = LabPlan.standard(3, 1).withBackupHost(LabPlan.BACKUP_ADDRESS);
        AgentConfig agent = AgentConfig.parse(plan.agentYmlText(plan.host("pg1"), 30), "agent.yml");
        assertEquals(plan.root(plan.host("backup1")), agent.peerPaths("backup1").root());
        ClusterSpec spec = new ClusterSpecParser(agent).parse(plan.specText(LabPlan.RECOMMENDED_TIMERS, false,
                Map.of()), "lab spec");
        assertEquals(List.of("backup1"), spec.hostsWith(Role.BACKUP).stream().map(ClusterSpec.Host::name).toList());
        ClusterSpec.Backup backup = spec.backup().orElseThrow();
        assertEquals(ClusterSpec.Backup.DEFAULT_DRILL, backup.drill().text());
        assertTrue(backup.fromReplica());
    }

    @Test
    void theSpecCarriesEachSynchronousModeAndThePlatformsPostgres() throws Exception {
        LabPlan plan = LabPlan.standard(3, 1, LabPlan.Os.FORKY);
        ClusterSpecParser parser = new ClusterSpecParser(AgentConfig.parse(plan.agentYmlText(plan.hosts().get(0), 30),
                "agent.yml"));
        ClusterSpec quorum = parser.parse(plan.specText(LabPlan.RECOMMENDED_TIMERS, "quorum", Map.of()), "lab");
        assertEquals(18, quorum.postgres().version());
        assertTrue(quorum.patroni().quorum());
        assertTrue(parser.parse(plan.specText(LabPlan.RECOMMENDED_TIMERS, true, Map.of()), "lab").patroni()
                .synchronousMode());
        assertFalse(parser.parse(plan.specText(LabPlan.RECOMMENDED_TIMERS, false, Map.of()), "lab").patroni()
                .synchronousMode());
    }

    @Test
    void aBootedLabRunsItsOwnPostgresOrThePreviousDebiansOne() throws Exception {
        assertEquals(List.of(17, 18), LabPlan.Os.FORKY.postgresVersions());
        assertEquals(List.of(15, 17), LabPlan.Os.TRIXIE.postgresVersions());
        assertEquals(List.of(15), LabPlan.Os.LOCAL.postgresVersions());
        LabPlan on17 = LabPlan.standard(3, 1, LabPlan.Os.FORKY).withPostgres(17).withBackupHost(LabPlan.BACKUP_ADDRESS);
        ClusterSpecParser parser = new ClusterSpecParser(AgentConfig.parse(on17.agentYmlText(on17.hosts().get(0), 30),
                "agent.yml"));
        assertEquals(17, parser.parse(on17.specText(LabPlan.RECOMMENDED_TIMERS, true, Map.of()), "lab").postgres()
                .version());
        assertEquals("var/lib/pgha-agent/postgresql/17/data", on17.postgresDataDir());
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> LabPlan.standard(3, 1, LabPlan.Os.TRIXIE).withPostgres(18));
        assertEquals("expected a PostgreSQL major of Debian 13 (one of [15, 17]), found 18", refused.getMessage());
    }

    @Test
    void twoLbHostsGetAFloatingAddressJustBelowTheBridgesThatTheSpecAccepts() throws Exception {
        assertEquals(java.util.Optional.empty(), LabPlan.standard(3, 1).vip());
        LabPlan plan = LabPlan.standard(3, 2);
        assertEquals(java.util.Optional.of("10.77.255.253/16"), plan.vip());
        assertEquals(java.util.Optional.of("10.77.200.253/24"),
                LabPlan.forTests(java.nio.file.Path.of("/tmp"), 2, 2).vip());
        AgentConfig agent = AgentConfig.parse(plan.agentYmlText(plan.hosts().get(0), 30), "agent.yml");
        ClusterSpec spec = new ClusterSpecParser(agent).parse(plan.specText(LabPlan.RECOMMENDED_TIMERS, false,
                Map.of()), "lab spec");
        assertEquals("10.77.255.253/16", spec.vip().orElseThrow().cidr());
    }
}
