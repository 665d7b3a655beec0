package io.pgha.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.dcs.MemoryDcs;
import io.pgha.model.AgentConfig;
import io.pgha.model.AgentConfigTest;
import io.pgha.model.ClusterSpec;
import io.pgha.model.ClusterSpecParser;
import io.pgha.model.EarlyFailover;
import io.pgha.model.Health;
import io.pgha.model.HostStatus;
import io.pgha.model.LeaderVerdict;
import io.pgha.model.Role;
import io.pgha.model.TestSpecs;
import io.pgha.probe.LeaderLook;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;

/** The observer on pg2 against a leader pg1 on loopback whose ports accept nothing; the others' verdicts set by hand. */
class LeaderObserverTest {
    /** The guide's hosts with pg1 on loopback, in synchronous mode with fast failover after 1 s. */
    private static final String SPEC = TestSpecs.GUIDE_HOSTS.replace("10.0.1.1", "127.0.0.1") + """
            patroni:
              synchronous_mode: true
              fast_failover: true
              fast_failover_after: 1
            """;

    private final MemoryDcs dcs = new MemoryDcs();
    private final ClusterSpec spec;

    LeaderObserverTest() throws Exception {
        spec = new ClusterSpecParser(AgentConfig.parse(AgentConfigTest.MINIMAL, "agent.yml")).parse(SPEC,
                "cluster.yml");
    }

    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private LeaderObserver observer() throws Exception {
        int port = closedPort();
        return new LeaderObserver("pg2", dcs, new EtcdOutage(),
                () -> Optional.of(new LeaderObserver.View(spec, Set.of(Role.DATA))),
                new LeaderLook(Duration.ofMillis(300), SSLContext.getDefault(), port, port));
    }

    /** The data hosts report a Patroni that takes the leader key only in a transaction. */
    private void patroniStatuses() throws Exception {
        for (String host : java.util.List.of("pg1", "pg2")) {
            dcs.putStatus(new HostStatus(HostStatus.SCHEMA, host, "10.0.1.1", "data", 1, true, HostStatus.APPLIED,
                    java.util.List.of(), java.util.List.of(), java.util.List.of(), new Health(null,
                    new Health.Patroni("replica", "running", 1L, false, "pg1", null, "4.0.4", null), null, null),
                    java.util.List.of(), java.util.List.of(), java.util.List.of(), java.util.List.of(), "", "test", 1,
                    0, 0, null, null), 1);
        }
    }

    private void verdict(String observer, boolean reachable) throws Exception {
        dcs.putVerdict(new LeaderVerdict(observer, "pg1", reachable, 1000, "x", "y"), 1);
    }

    private static <T> T await(String what, Supplier<Optional<T>> condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline) {
            Optional<T> v = condition.get();
            if (v.isPresent()) {
                return v.get();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("not within 15 s: " + what);
    }

    private Optional<LeaderVerdict> own() {
        try {
            return Optional.ofNullable(dcs.verdicts().get("pg2"));
        } catch (io.pgha.dcs.DcsException e) {
            return Optional.empty();
        }
    }

    private Optional<EarlyFailover> last() {
        try {
            return dcs.lastEarlyFailover();
        } catch (io.pgha.dcs.DcsException e) {
            return Optional.empty();
        }
    }

    @Test
    void aQuorumThatAgreesEndsTheClaimOnceAndOneThatDisagreesDoesNot() throws Exception {
        patroniStatuses();
        dcs.putLeaderKey("pg1");
        verdict("etcd1", false);
        verdict("lb1", false);
        verdict("etcd3", true);
        try (LeaderObserver o = observer()) {
            await("pg2's verdict: pg1 unreachable", () -> own().filter(v -> !v.reachable()));
            assertTrue(dcs.leaderKey().isPresent(), "etcd3 sees pg1 reachable: the claim stays");
            verdict("etcd3", false);
            EarlyFailover f = await("an early failover", this::last);
            assertEquals("pg1", f.leader());
            assertEquals("pg2", f.by());
            assertEquals(Set.of("etcd1", "etcd3", "pg2", "lb1"), f.evidence().stream().map(LeaderVerdict::observer)
                    .collect(java.util.stream.Collectors.toSet()), "decided on the word of all that agreed, "
                    + "none of which saw pg1 reachable: " + f.evidence());
            assertTrue(f.evidence().stream().noneMatch(LeaderVerdict::reachable), f.evidence().toString());
            assertEquals(Optional.empty(), dcs.leaderKey(), "the claim is gone");
        }
    }

    @Test
    void noSecondEarlyFailoverWithinTheGuard() throws Exception {
        patroniStatuses();
        dcs.putLeaderKey("pg1");
        verdict("etcd1", false);
        verdict("etcd2", false);
        verdict("lb1", false);
        try (LeaderObserver o = observer()) {
            await("an early failover", this::last);
            EarlyFailover first = last().orElseThrow();
            // pg1 leads again (Patroni elected it), is found dead again within the ttl: the guard holds.
            patroniStatuses();
        dcs.putLeaderKey("pg1");
            long revision = dcs.leaderKey().orElseThrow().modRevision();
            await("pg2 tried to end the new claim", () -> dcs.endLeaderClaimCalls() == 2 ? Optional.of(true)
                    : Optional.<Boolean>empty());
            assertEquals(Optional.of(revision), dcs.leaderKey().map(io.pgha.dcs.Versioned::modRevision));
            assertEquals(Optional.of(first), last());
        }
    }
}
