package io.pgha.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The ordering rules of a rolling restart, against a Patroni cluster kept in memory and a lock kept in memory. */
class RollingRestartTest {

    /** Three members; a restart clears pending_restart at once, a switchover moves the leader role. */
    private static final class FakeCluster {
        final Map<String, String> roles = new LinkedHashMap<>();
        final Map<String, Boolean> pending = new LinkedHashMap<>();
        final List<String> log = new ArrayList<>();
        String lockHolder;

        FakeCluster(String leader, String... replicas) {
            roles.put(leader, "leader");
            pending.put(leader, true);
            for (String r : replicas) {
                roles.put(r, "replica");
                pending.put(r, true);
            }
        }

        PatroniApi member(String name) {
            return new PatroniApi() {
                @Override
                public PatroniClient.Member member() {
                    boolean leader = roles.get(name).equals("leader");
                    return new PatroniClient.Member("running", leader ? "master" : "replica", 1, pending.get(name));
                }

                @Override
                public List<PatroniClient.ClusterMember> cluster() {
                    List<PatroniClient.ClusterMember> out = new ArrayList<>();
                    roles.forEach((n, role) -> out.add(new PatroniClient.ClusterMember(n, role, "running", n, 1, 0,
                            pending.get(n), false)));
                    return out;
                }

                @Override
                public void restart() {
                    log.add("restart " + name + (name.equals(lockHolder) ? " (holding the lock)" : " WITHOUT THE LOCK"));
                    pending.put(name, false);
                }

                @Override
                public String switchover(String leader, String candidate) {
                    log.add("switchover " + leader + " -> " + candidate);
                    roles.put(leader, "replica");
                    roles.put(candidate, "leader");
                    return "ok";
                }
            };
        }

        RollingRestart.Lock lock(String name) {
            return () -> {
                if (lockHolder != null) {
                    return Optional.empty();
                }
                lockHolder = name;
                return Optional.of(new RollingRestart.Held() {
                    @Override
                    public void refresh() {
                    }

                    @Override
                    public void close() {
                        lockHolder = null;
                    }
                });
            };
        }

        RollingRestart step(String name) {
            return new RollingRestart(name, member(name), lock(name));
        }
    }

    @Test
    void replicasFirstThenTheLeaderAfterHandingOver() throws Exception {
        FakeCluster c = new FakeCluster("pg1", "pg2", "pg3");
        assertTrue(c.step("pg1").step(), "the leader waits while replicas still owe a restart");
        assertEquals(List.of(), c.log);
        assertFalse(c.step("pg2").step());
        assertFalse(c.step("pg3").step());
        assertFalse(c.step("pg1").step());
        assertEquals(List.of("restart pg2 (holding the lock)", "restart pg3 (holding the lock)",
                "switchover pg1 -> pg2", "restart pg1 (holding the lock)"), c.log);
        assertEquals("leader", c.roles.get("pg2"));
        assertEquals(null, c.lockHolder, "the lock is released after each restart");
    }

    @Test
    void aHostWaitsWhileAnotherHoldsTheLock() throws Exception {
        FakeCluster c = new FakeCluster("pg1", "pg2", "pg3");
        c.lockHolder = "pg3";
        assertTrue(c.step("pg2").step(), "still owes its restart");
        assertEquals(List.of(), c.log);
        c.lockHolder = null;
        assertFalse(c.step("pg2").step());
        assertEquals(List.of("restart pg2 (holding the lock)"), c.log);
    }

    @Test
    void nothingPendingNothingDone() throws Exception {
        FakeCluster c = new FakeCluster("pg1", "pg2");
        c.pending.replaceAll((k, v) -> false);
        assertFalse(c.step("pg1").step());
        assertFalse(c.step("pg2").step());
        assertEquals(List.of(), c.log);
        assertEquals(Optional.empty(), RollingRestart.pending(c.member("pg1")));
    }

    @Test
    void planSaysWhatIsPending() throws IOException {
        FakeCluster c = new FakeCluster("pg1", "pg2");
        assertTrue(RollingRestart.pending(c.member("pg1")).orElseThrow().contains("this leader last"));
        assertTrue(RollingRestart.pending(c.member("pg2")).orElseThrow().contains("replicas before the leader"));
    }
}
