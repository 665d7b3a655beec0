package io.pgha.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.model.AgentConfig;
import io.pgha.model.AgentConfigTest;
import io.pgha.model.ClusterSpec;
import io.pgha.model.ClusterSpecParser;
import io.pgha.model.TestSpecs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class WriteRoutingTest {
    @Test
    void theNewLeaderGoesUpInThePrimaryListenAndEveryOtherDataHostDown() throws Exception {
        ClusterSpec spec = new ClusterSpecParser(AgentConfig.parse(AgentConfigTest.MINIMAL, "agent.yml")).parse(
                TestSpecs.GUIDE_HOSTS + "  pg3: {address: 10.0.1.3, role: data}\n", "cluster.yml");
        assertEquals(List.of("set server primary/pg2 health up", "set server primary/pg1 health down",
                "set server primary/pg3 health down"), WriteRouting.commands(spec, "pg2"));
        // The listen the commands name is haproxy.cfg's.
        assertTrue(Files.readString(Path.of("roles/lb/haproxy.cfg.tmpl")).contains("\nlisten " + WriteRouting.LISTEN
                + "\n"));
    }
}
