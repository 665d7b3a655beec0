package io.pgha.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.dcs.Lock;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The ordering rules of a rolling restart, against a Patroni cluster kept in memory that follows PostgreSQL's
 * hot-standby rule as Patroni applies it: a replica starts with the larger of the configured max_connections and
 * the primary's.
 */
class RollingRestartTest {
    private static final Duration LOOP_WAIT = Duration.ofSeconds(2);

    private static final class FakeCluster {
        final Map<String, String> roles = new LinkedHashMap<>();
        final Map<String, Integer> running = new LinkedHashMap<>();
        final Map<String, Integer> starts = new LinkedHashMap<>();
        final List<String> log = new ArrayList<>();
        /** The poolers' pause, as the restart asks for it, each step in the same log as the restarts. */
        final ClientPause pause = () -> {
            log.add("pause");
            return new ClientPause.Paused() {
                @Override
                public void resumeOn(String leader) {
                    log.add("resume on " + leader);
                }

                @Override
                public void close() {
                    log.add("pause over");
                }
            };
        };
        int desired;
        String lockHolder;

        FakeCluster(int value, String leader, String... replicas) {
            desired = value;
            roles.put(leader, "leader");
            for (String r : replicas) {
                roles.put(r, "replica");
            }
            roles.keySet().forEach(n -> {
                running.put(n, value);
                starts.put(n, 0);
            });
        }

        String leader() {
            return roles.entrySet().stream().filter(e -> e.getValue().equals("leader")).findFirst().orElseThrow()
                    .getKey();
        }

        /** Postgres started again: the leader takes the configured value; a replica at least the leader's. */
        void start(String name) {
            boolean leader = roles.get(name).equals("leader");
            running.put(name, leader ? desired : Math.max(desired, running.get(leader())));
            starts.merge(name, 1, Integer::sum);
        }

        PatroniApi member(String name) {
            return new PatroniApi() {
                @Override
                public PatroniClient.Member member() {
                    boolean leader = roles.get(name).equals("leader");
                    return new PatroniClient.Member("running", leader ? "master" : "replica", 1,
                            running.get(name) != desired, "start " + starts.get(name), false, false, "3.0.2");
                }

                @Override
                public List<PatroniClient.ClusterMember> cluster() {
                    List<PatroniClient.ClusterMember> out = new ArrayList<>();
                    roles.forEach((n, role) -> out.add(new PatroniClient.ClusterMember(n, role, "running", n, 1, 0,
                            running.get(n) != desired, false)));
                    return out;
                }

                @Override
                public void restart() {
                    log.add("restart " + name + (name.equals(lockHolder) ? "" : " WITHOUT THE LOCK"));
                    start(name);
                }

                @Override
                public void reload() {
                    log.add("reload " + name);
                }

                @Override
                public void reinitialize() {
                    log.add("reinitialize " + name);
                }

                @Override
                public void pause(boolean on) {
                }

                @Override
                public void forgetFailsafeLeader() {
                    log.add("forget failsafe leader");
                }

                @Override
                public String switchover(String leader, String candidate) {
                    log.add("switchover " + leader + " -> " + candidate);
                    roles.put(leader, "replica");
                    roles.put(candidate, "leader");
                    start(leader);
                    return "ok";
                }
            };
        }

        Lock lock(String name) {
            return () -> {
                if (lockHolder != null) {
                    return Optional.empty();
                }
                lockHolder = name;
                return Optional.of(new Lock.Held() {
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

        boolean step(String name) throws Exception {
            RollingRestart.Settings settings = (address, names) -> Map.of("max_connections", new PgSetting(
                    "max_connections", running.get(address).toString(), "", "integer",
                    running.get(address).toString(), "postmaster"));
            return new RollingRestart(name, member(name), lock(name), pause, change -> log.add("recorded "
                    + change.why() + " " + change.from() + " -> " + change.to() + " (" + change.detail() + ")"))
                    .step(Map.of("max_connections", Integer.toString(desired)), LOOP_WAIT, settings);
        }
    }

    @Test
    void raisingGoesReplicasFirstThenTheLeaderHandsOver() throws Exception {
        FakeCluster c = new FakeCluster(100, "pg1", "pg2", "pg3");
        c.desired = 150;
        assertTrue(c.step("pg1"), "the leader waits while replicas can apply the change first");
        assertEquals(List.of(), c.log);
        assertFalse(c.step("pg2"));
        assertFalse(c.step("pg3"));
        assertFalse(c.step("pg1"));
        assertEquals(List.of("restart pg2", "restart pg3", "pause", "switchover pg1 -> pg2",
                "recorded switchover pg1 -> pg2 (rolling restart)", "resume on pg2", "pause over"), c.log,
                "the poolers pause for the leader's switchover alone; the old leader came back"
                + " as a replica with 150: no second restart");
        assertEquals(Map.of("pg1", 150, "pg2", 150, "pg3", 150), c.running);
        assertEquals(null, c.lockHolder, "the lock is released after each restart");
    }

    @Test
    void loweringAHotStandbyParameterRestartsTheLeaderInPlaceFirstThenTheReplicas() throws Exception {
        FakeCluster c = new FakeCluster(150, "pg1", "pg2", "pg3");
        c.desired = 120;
        assertTrue(c.step("pg2"), "a replica waits: its restart would bring back the leader's 150");
        assertTrue(c.step("pg3"));
        assertEquals(List.of(), c.log, "no restart in vain");
        assertFalse(c.step("pg1"));
        assertEquals(List.of("pause", "restart pg1", "resume on pg1", "pause over"), c.log,
                "no switchover: every replica still runs 150; the poolers wait out the leader's restart");
        c.log.clear();
        assertFalse(c.step("pg2"));
        assertFalse(c.step("pg3"));
        assertEquals(List.of("restart pg2", "restart pg3"), c.log, "no pause for a replica's restart");
        assertEquals(Map.of("pg1", 120, "pg2", 120, "pg3", 120), c.running);
        assertEquals("pg1", c.leader());
        assertFalse(c.step("pg1"));
        assertFalse(c.step("pg2"));
        assertEquals(2, c.log.size(), "done: nothing restarts again");
    }

    @Test
    void aHostWaitsWhileAnotherHoldsTheLock() throws Exception {
        FakeCluster c = new FakeCluster(100, "pg1", "pg2", "pg3");
        c.desired = 150;
        c.lockHolder = "pg3";
        assertTrue(c.step("pg2"), "still owes its restart");
        assertEquals(List.of(), c.log);
        c.lockHolder = null;
        assertFalse(c.step("pg2"));
        assertEquals(List.of("restart pg2"), c.log);
    }

    @Test
    void nothingPendingNothingDone() throws Exception {
        FakeCluster c = new FakeCluster(100, "pg1", "pg2");
        assertFalse(c.step("pg1"));
        assertFalse(c.step("pg2"));
        assertEquals(List.of(), c.log);
        assertEquals(Optional.empty(), RollingRestart.pending(c.member("pg1")));
    }

    @Test
    void planSaysWhatIsPending() throws IOException {
        FakeCluster c = new FakeCluster(100, "pg1", "pg2");
        c.desired = 150;
        assertTrue(RollingRestart.pending(c.member("pg1")).orElseThrow().contains("this leader after the replicas"));
        assertTrue(RollingRestart.pending(c.member("pg2")).orElseThrow().contains("replicas before the leader"));
    }

    @Test
    void aReloadableValuePatroniLeftOutOfEffectGetsAReloadAfterTwoLoopsThenLessAndLessOften() throws Exception {
        AtomicLong now = new AtomicLong();
        String[] workMem = {"4MB"};
        FakePatroni patroni = new FakePatroni(
                () -> new PatroniClient.Member("running", "replica", 2, false, "start 0", false, false, "3.0.2"),
                () -> List.of(new PatroniClient.ClusterMember("pg1", "leader", "running", "pg1", 2, 0, false, false),
                        new PatroniClient.ClusterMember("pg3", "replica", "running", "pg3", 2, 0, false, false)));
        Lock noLock = () -> {
            throw new AssertionError("a reload takes no restart lock");
        };
        RollingRestart r = new RollingRestart("pg3", patroni, noLock, ClientPause.NONE, now::get);
        RollingRestart.Settings settings = (address, names) -> Map.of("work_mem", new PgSetting("work_mem",
                Integer.toString(Integer.parseInt(workMem[0].replace("MB", "")) * 1024), "kB", "integer",
                workMem[0], "user"));
        Map<String, String> desired = Map.of("work_mem", "8MB");

        assertTrue(r.step(desired, LOOP_WAIT, settings), "Patroni's own loop comes first: followed closely");
        now.addAndGet(Duration.ofSeconds(8).toNanos());
        assertTrue(r.step(desired, LOOP_WAIT, settings));
        assertEquals(List.of(), patroni.calls, "within two loops and 5 s Patroni may still apply it itself");
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        assertFalse(r.step(desired, LOOP_WAIT, settings), "asked once: the usual passes look again");
        assertEquals(List.of("reload"), patroni.calls);

        now.addAndGet(Duration.ofSeconds(17).toNanos());
        r.step(desired, LOOP_WAIT, settings);
        assertEquals(List.of("reload"), patroni.calls, "still out of effect: the next reload waits twice as long");
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        r.step(desired, LOOP_WAIT, settings);
        assertEquals(List.of("reload", "reload"), patroni.calls);

        workMem[0] = "8MB";
        assertFalse(r.step(desired, LOOP_WAIT, settings));
        workMem[0] = "4MB";
        assertTrue(r.step(desired, LOOP_WAIT, settings), "in effect once: a new change starts the count anew");
        now.addAndGet(Duration.ofSeconds(9).toNanos());
        assertFalse(r.step(desired, LOOP_WAIT, settings));
        assertEquals(List.of("reload", "reload", "reload"), patroni.calls);

        // A new value long after the last look: Patroni gets its two loops again, not a reload at once.
        now.addAndGet(Duration.ofMinutes(5).toNanos());
        assertTrue(r.step(Map.of("work_mem", "16MB"), LOOP_WAIT, settings));
        assertEquals(3, patroni.calls.size());
    }

    @Test
    void aValueInEffectAsksForNoReload() throws Exception {
        AtomicLong now = new AtomicLong();
        FakePatroni patroni = new FakePatroni(
                () -> new PatroniClient.Member("running", "master", 2, false, "start 0", false, false, "3.0.2"),
                () -> List.of(new PatroniClient.ClusterMember("pg1", "leader", "running", "pg1", 2, 0, false, false)));
        RollingRestart r = new RollingRestart("pg1", patroni, Optional::empty, ClientPause.NONE, now::get);
        RollingRestart.Settings settings = (address, names) -> Map.of("work_mem", new PgSetting("work_mem", "8192",
                "kB", "integer", "8MB", "user"));
        for (int i = 0; i < 5; i++) {
            assertFalse(r.step(Map.of("work_mem", "8MB"), LOOP_WAIT, settings));
            now.addAndGet(Duration.ofMinutes(1).toNanos());
        }
        assertEquals(List.of(), patroni.calls);
    }
}
