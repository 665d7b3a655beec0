package io.pgha.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgha.dcs.HostStatuses;
import io.pgha.dcs.MemoryDcs;
import io.pgha.lab.LabPlan;
import io.pgha.model.AgentConfig;
import io.pgha.model.ClusterSpec;
import io.pgha.model.ClusterSpecParser;
import io.pgha.model.HostRequest;
import io.pgha.model.HostStatus;
import io.pgha.model.Pending;
import io.pgha.model.PostgresUpgrade;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What {@code pghactl apply --wait} still waits for, host by host, from the stored statuses. */
class ApplyWaitTest {
    private static HostStatus status(String host, long revision, String state, List<Pending> pending, String error) {
        return new HostStatus(HostStatus.SCHEMA, host, "10.77.0.1", "data", revision, false, state, pending,
                List.of(), List.of(), null, List.of(), List.of(), List.of(), List.of(), error, "test", 1, 0, 0, null,
                null);
    }

    private static ClusterSpec labSpec() throws Exception {
        LabPlan plan = LabPlan.standard(3, 1);
        AgentConfig agent = AgentConfig.parse(plan.agentYmlText(plan.hosts().get(0), 30), "agent.yml");
        return new ClusterSpecParser(agent).parse(plan.specText(LabPlan.RECOMMENDED_TIMERS, false, Map.of()),
                "lab spec");
    }

    @Test
    void everyHostOfTheSpecMustSayItsRevisionIsApplied() throws Exception {
        ClusterSpec spec = labSpec();
        Map<String, HostStatus> stored = new LinkedHashMap<>();
        for (String host : spec.hosts().keySet()) {
            stored.put(host, status(host, 12, HostStatus.APPLIED, List.of(), ""));
        }
        assertEquals(Map.of(), ApplyCommand.notApplied(new HostStatuses(stored, Map.of()), spec, 12));
        assertEquals(Map.of(), ApplyCommand.notApplied(new HostStatuses(stored, Map.of()), spec, 11),
                "a later revision counts");

        stored.put("pg1", status("pg1", 12, HostStatus.PENDING,
                List.of(new Pending("max_connections", "150", "120", Pending.LEADER_RESTART)), ""));
        stored.put("pg2", status("pg2", 11, HostStatus.APPLIED, List.of(), ""));
        stored.put("pg3", status("pg3", 12, HostStatus.FAILED, List.of(), "restart failed"));
        stored.remove("lb1");
        stored.remove("etcd1");
        Map<String, String> waiting = ApplyCommand.notApplied(new HostStatuses(stored,
                Map.of("etcd1", "unreadable status: expected a host status object")), spec, 12);
        assertEquals("unreadable status: expected a host status object", waiting.get("etcd1"));
        assertEquals("pending: max_connections 150 -> 120 waits for the leader's restart", waiting.get("pg1"));
        assertEquals("at revision 11", waiting.get("pg2"));
        assertEquals("failed: restart failed", waiting.get("pg3"));
        assertEquals("no status (agent down or not started)", waiting.get("lb1"));
        assertEquals(List.of("etcd1", "pg1", "pg2", "pg3", "lb1"), List.copyOf(waiting.keySet()),
                "in the spec's host order");
    }

    @Test
    void noApplyWhileADataHostTakesPartInAnUpgradeOrRestore() throws Exception {
        ClusterSpec spec = labSpec();
        MemoryDcs dcs = new MemoryDcs();
        assertEquals(Optional.empty(), ApplyCommand.operationUnderWay(dcs, spec), "no request at all");
        dcs.putRequest("pg1", new HostRequest("b1", HostRequest.BACKUP, "full", ""));
        assertEquals(Optional.empty(), ApplyCommand.operationUnderWay(dcs, spec), "a backup job");
        PostgresUpgrade upgrade = new PostgresUpgrade("20261205T081500Z",
                PostgresUpgrade.STOP, 17, 18);
        dcs.putRequest("pg2", upgrade.request());
        assertEquals(Optional.of("the major upgrade 20261205T081500Z of PostgreSQL 17 to 18 is under way"
                + " (pg2 is in phase stop)"), ApplyCommand.operationUnderWay(dcs, spec));
        dcs.putRequest("pg2", upgrade.in(PostgresUpgrade.DONE).request());
        assertEquals(Optional.empty(), ApplyCommand.operationUnderWay(dcs, spec), "done");
    }
}
