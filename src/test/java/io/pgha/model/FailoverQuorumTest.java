package io.pgha.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FailoverQuorumTest {
    private static final Map<String, String> PATRONI = Map.of("pg1", "4.0.4", "pg2", "4.0.4");
    private final ClusterSpec spec;

    FailoverQuorumTest() throws InvalidSpecException {
        spec = new ClusterSpecParser(AgentConfigTest.minimal()).parse(TestSpecs.GUIDE_HOSTS
                + "  spare1: {address: 10.0.3.1, roles: []}\n", "cluster.yml");
    }

    private static LeaderVerdict down(String observer) {
        return new LeaderVerdict(observer, "pg1", false, 1000, "connection refused", "connection refused");
    }

    private static LeaderVerdict up(String observer) {
        return new LeaderVerdict(observer, "pg1", true, 1000, "accepts", "not asked");
    }

    private static Map<String, LeaderVerdict> verdicts(LeaderVerdict... vs) {
        Map<String, LeaderVerdict> out = new LinkedHashMap<>();
        for (LeaderVerdict v : vs) {
            out.put(v.observer(), v);
        }
        return out;
    }

    @Test
    void theObserversAreTheHostsWithARoleButTheLeader() {
        assertEquals(List.of("etcd1", "etcd2", "etcd3", "pg2", "lb1"),
                FailoverQuorum.observers(spec, "pg1").stream().map(ClusterSpec.Host::name).toList());
        assertEquals(3, FailoverQuorum.needed(5));
        assertEquals(3, FailoverQuorum.needed(4), "half is not a majority");
    }

    @Test
    void aMajorityWithADataHostAndAnotherActs() {
        FailoverQuorum.Decision d = FailoverQuorum.decide(spec, "pg1",
                verdicts(down("pg2"), down("etcd1"), down("lb1")), PATRONI);
        assertTrue(d.act(), d.reason());
        assertEquals(3, d.evidence().size());
    }

    @Test
    void oneObserverThatSeesTheLeaderReachableStopsIt() {
        FailoverQuorum.Decision d = FailoverQuorum.decide(spec, "pg1",
                verdicts(down("pg2"), down("etcd1"), down("etcd2"), down("lb1"), up("etcd3")), PATRONI);
        assertFalse(d.act());
        assertEquals("etcd3 sees pg1 reachable", d.reason());
    }

    @Test
    void fewerThanAMajorityOrOnlyOneKindOfHostDoesNotAct() {
        assertEquals("2 of 5 observers see pg1 unreachable, 3 needed",
                FailoverQuorum.decide(spec, "pg1", verdicts(down("pg2"), down("lb1")), PATRONI).reason());
        assertEquals("3 of 5 observers see pg1 unreachable, but no data host among them",
                FailoverQuorum.decide(spec, "pg1", verdicts(down("etcd1"), down("etcd2"), down("lb1")), PATRONI)
                        .reason());
        assertFalse(FailoverQuorum.decide(spec, "pg1", verdicts(down("pg2")), PATRONI).act(),
                "one data host alone never decides");
    }

    @Test
    void verdictsOnAnotherLeaderOrFromHostsOutsideTheSpecDoNotCount() {
        Map<String, LeaderVerdict> vs = verdicts(down("pg2"), down("etcd1"),
                new LeaderVerdict("lb1", "pg2", false, 1000, "x", "y"),
                new LeaderVerdict("stranger", "pg1", false, 1000, "x", "y"));
        FailoverQuorum.Decision d = FailoverQuorum.decide(spec, "pg1", vs, PATRONI);
        assertFalse(d.act());
        assertEquals("2 of 5 observers see pg1 unreachable, 3 needed", d.reason());
        assertFalse(FailoverQuorum.decide(spec, "pg1", verdicts(down("pg2"), down("etcd1"), down("spare1")), PATRONI)
                        .act(),
                "a host without a role observes nothing");
    }

    @Test
    void aPatroniThatPutsTheLeaderKeyBackUnconditionallyRulesItOut() {
        Map<String, LeaderVerdict> all = verdicts(down("pg2"), down("etcd1"), down("lb1"));
        FailoverQuorum.Decision d = FailoverQuorum.decide(spec, "pg1", all, Map.of("pg1", "3.0.2", "pg2", "4.0.4"));
        assertFalse(d.act());
        assertTrue(d.reason().startsWith("pg1 runs Patroni 3.0.2, which can take a leader key back unconditionally"),
                d.reason());
        assertTrue(FailoverQuorum.decide(spec, "pg1", all, Map.of("pg1", "3.0.3", "pg2", "4.1.5")).act());
        assertEquals("no data host reports its Patroni version",
                FailoverQuorum.decide(spec, "pg1", all, Map.of()).reason());
    }

    @Test
    void aVerdictReadsBackAsWritten() throws Exception {
        LeaderVerdict v = down("pg2");
        assertEquals(v, LeaderVerdict.fromJson(v.toJson()));
        EarlyFailover f = new EarlyFailover("pg1", "pg2", 5000, List.of(v));
        assertEquals(f, EarlyFailover.fromJson(f.toJson()));
    }
}
