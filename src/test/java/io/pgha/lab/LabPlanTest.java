package io.pgha.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.model.AgentConfig;
import io.pgha.model.ClusterSpec;
import io.pgha.model.ClusterSpecParser;
import io.pgha.model.Role;
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
}
