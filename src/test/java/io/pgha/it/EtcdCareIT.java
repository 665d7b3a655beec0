package io.pgha.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.EtcdDcs;
import io.pgha.lab.LabNetwork;
import io.pgha.lab.LabPlan;
import io.pgha.lab.LabWriter;
import io.pgha.lab.WriteLog;
import io.pgha.model.EtcdMember;
import io.pgha.model.Role;
import io.pgha.postgres.PatroniClient;
import io.pgha.postgres.PostgresProbe;
import java.io.IOException;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * etcd looked after by the agents on the seven-host lab plus a spare host: membership changes refused when unsafe,
 * defragmentation one member at a time and never on an unhealthy cluster, a NOSPACE alarm recovered without a person,
 * and a dead member replaced under a steady writer. A small quota and low defragmentation thresholds make each happen
 * in seconds. Prints its figures; asserts none. Runs on both platforms ({@link AgentCluster#OS}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EtcdCareIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ETCD_SETTINGS = "etcd: {quota_bytes: 16777216, defrag_unused_percent: 20,"
            + " defrag_min_unused_bytes: 1048576}\n";
    private static final String FILL_KEY = "/pgha-test/fill";
    private static final long WRITE_INTERVAL_MILLIS = 50;

    private AgentCluster cluster;
    private LabPlan plan;
    private LabNetwork network;
    private PostgresProbe pg;
    private String password;
    private final Map<String, String> timings = new LinkedHashMap<>();

    @BeforeAll
    void start() throws Exception {
        plan = LabPlan.forTests(AgentCluster.tempBase(), 3, 1, AgentCluster.OS, 1);
        cluster = new AgentCluster(plan, 10);
        network = cluster.lab().network().orElseThrow();
        cluster.startAll();
        cluster.awaitEtcdHealthy(Duration.ofSeconds(90));
        // The quota differs from what the members bootstrapped with: each restarts for it, one at a time.
        long revision = cluster.apply(spec(plan) + ETCD_SETTINGS);
        cluster.awaitConverged(revision, Duration.ofSeconds(240));
        password = cluster.ctl("get", "secret", "superuser").out().strip();
        pg = cluster.postgres("postgres", password, 3);
        try (Connection c = pg.connect(lb(), 5000); Statement s = c.createStatement()) {
            s.execute("create table drill (id bigint primary key, note text)");
        }
    }

    private static String spec(LabPlan p) {
        return p.specText(LabPlan.RECOMMENDED_TIMERS, true, Map.of());
    }

    @AfterAll
    void stop() throws Exception {
        timings.forEach((k, v) -> System.out.printf("etcd timing (%s) | %-62s | %s%n", plan.os(), k, v));
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void theMembersRestartedOneAtATimeForTheSpecsQuota() throws Exception {
        cluster.await("every member runs with the spec's quota, as its /metrics says", Duration.ofSeconds(60), () -> {
            Map<String, JsonNode> all = cluster.statusesQuietly();
            boolean done = List.of("etcd1", "etcd2", "etcd3").stream().allMatch(h -> all.containsKey(h)
                    && all.get(h).path("health").path("etcd").path("quota_bytes").asLong() == 16L << 20);
            return done ? Optional.of(true) : Optional.empty();
        }, () -> cluster.statusesQuietly().toString());
        String log = String.join("\n", List.of("etcd1", "etcd2", "etcd3").stream()
                .map(h -> cluster.lab().agentLog(plan.host(h), 400)).toList());
        assertEquals(3, log.lines().filter(l -> l.contains("holding the etcd lock to restart this member")).count(), log);
    }

    @Test
    @Order(2)
    void membershipChangesThatAreNotOneAtATimeAreRefusedNamingTheField() throws Exception {
        long before = revisionNow();
        List<LabPlan.Host> twoGone = plan.hosts().stream().filter(h -> !h.name().equals("etcd2")
                && !h.name().equals("etcd3")).map(h -> h.name().equals("spare1")
                ? new LabPlan.Host(h.name(), h.address(), EnumSet.of(Role.ETCD)) : h).toList();
        AgentCluster.Outcome refused = applyFile(spec(plan.withHosts(twoGone)) + ETCD_SETTINGS
                .replace("}", ", allow_small_cluster: true}"));
        assertEquals(2, refused.exitCode(), refused.toString());
        assertTrue(refused.err().contains(": hosts: removes etcd members etcd2, etcd3 in one apply: one membership"
                + " change at a time"), refused.toString());

        List<LabPlan.Host> two = plan.hosts().stream().filter(h -> !h.name().equals("etcd3")).toList();
        AgentCluster.Outcome small = applyFile(spec(plan.withHosts(two)) + ETCD_SETTINGS);
        assertEquals(2, small.exitCode(), small.toString());
        assertTrue(small.err().contains("hosts: 2 hosts with role etcd tolerate no failure"), small.toString());
        assertEquals(before, revisionNow(), "a refused spec changes nothing");
    }

    @Test
    @Order(3)
    void defragmentationWaitsForAHealthyClusterThenGoesOneMemberAtATime() throws Exception {
        // A follower cut off: the other two keep their leader and a quorum. The leader is asked of etcd itself: an
        // agent's report is up to a pass old, and the rolling restarts above move the leadership.
        List<String> etcdHosts = List.of("etcd1", "etcd2", "etcd3");
        String leader;
        try (EtcdDcs dcs = cluster.dcs()) {
            leader = cluster.await("the raft leader known to every member", Duration.ofSeconds(30),
                    () -> etcdLeaderAmong(dcs, etcdHosts), () -> "members disagree or do not answer");
        }
        String cut = etcdHosts.stream().filter(h -> !h.equals(leader)).findFirst().orElseThrow();
        List<String> reachableHosts = etcdHosts.stream().filter(h -> !h.equals(cut)).toList();
        List<String> reachable = reachableHosts.stream().map(this::clientUrl).toList();
        network.cut(plan.host(cut));
        // Only the members on this side of the cut: a call sent down the dead link would wait for its deadline.
        try (EtcdDcs dcs = new EtcdDcs(plan.cluster(), reachable, Duration.ofSeconds(5), plan.adminTls())) {
            // Should the leadership have moved to the cut member meanwhile, a write would wait on it until its
            // deadline: the two on this side agree on a leader among them first.
            cluster.await("a raft leader on this side of the cut", Duration.ofSeconds(30),
                    () -> etcdLeaderAmong(dcs, reachableHosts), () -> "none yet");
            // Unused space as days of history leave it: a key rewritten, the history compacted.
            String value = "x".repeat(100_000);
            for (int i = 0; i < 40; i++) {
                dcs.put(FILL_KEY, value + i, 0);
            }
            dcs.admin().compact();
            // Three leader passes (drift 10 s): the raft leader's agent sees members due, but one does not answer.
            // The agents keep their defragmentations in their status: what one read after the window shows covers
            // it, and a read that fails proves nothing, so the window ends with a read that succeeds.
            long windowStart = System.currentTimeMillis();
            long until = windowStart + 25_000;
            int reads = 0;
            while (System.currentTimeMillis() < until) {
                Optional<List<JsonNode>> seen = defragmentationsRead(dcs);
                reads += seen.isPresent() ? 1 : 0;
                seen.ifPresent(d -> assertEquals(List.of(), d, "no defragmentation while a member is unhealthy"));
                Thread.sleep(1000);
            }
            List<JsonNode> after = cluster.await("the agents' statuses read after the window", Duration.ofSeconds(30),
                    () -> defragmentationsRead(dcs), () -> "no read succeeded");
            assertEquals(List.of(), after, "no defragmentation while a member was unhealthy (" + reads
                    + " reads during the window succeeded)");
        } finally {
            network.heal(plan.host(cut));
        }
        List<JsonNode> done = cluster.await("every member defragmented once " + cut + " is back", Duration.ofSeconds(90),
                () -> {
                    List<JsonNode> d = defragmentations();
                    Set<String> members = new TreeSet<>();
                    d.forEach(x -> members.add(x.path("member").asText()));
                    return members.equals(Set.of("etcd1", "etcd2", "etcd3")) ? Optional.of(d) : Optional.empty();
                }, () -> defragmentations().toString());
        for (int i = 0; i < done.size(); i++) {
            for (int j = i + 1; j < done.size(); j++) {
                JsonNode a = done.get(i);
                JsonNode b = done.get(j);
                boolean overlap = a.path("start").asLong() < b.path("end").asLong()
                        && b.path("start").asLong() < a.path("end").asLong();
                assertTrue(!overlap, "two members defragmenting at once: " + a + " and " + b);
            }
        }
        List<JsonNode> leaders = done.stream().filter(d -> d.path("leader").asBoolean()).toList();
        assertEquals(List.of(done.get(done.size() - 1)), leaders, "the raft leader is defragmented last: " + done);
        long longest = done.stream().mapToLong(d -> d.path("end").asLong() - d.path("start").asLong()).max()
                .orElseThrow();
        timings.put("defragmentation: longest of one member (ms)", Long.toString(longest));
    }

    @Test
    @Order(4)
    void aNoSpaceAlarmIsRecoveredByTheAgents() throws Exception {
        WriteLog log = new WriteLog();
        LabWriter writer = startWriter(log, 1_000_000);
        try (EtcdDcs dcs = cluster.dcs()) {
            awaitAcks(log, 0, 20);
            String leaderBefore = leader();
            // The etcd hosts' agents held still (SIGSTOP) while etcd fills up: the alarm then lasts long enough to be
            // seen. Left running, the raft leader's agent recovers it within about a second.
            List<Long> agents = List.of("etcd1", "etcd2", "etcd3").stream()
                    .map(h -> cluster.lab().agent(plan.host(h)).orElseThrow().pid()).toList();
            long raised;
            long resumed;
            AgentCluster.signal("STOP", agents);
            try {
                raised = fill(dcs);
                AgentCluster.Outcome status = cluster.ctl("status");
                assertEquals(0, status.exitCode(), status.toString());
                assertTrue(status.out().matches("(?s).*ERROR: etcd alarm NOSPACE on member etcd\\d: etcd refuses every"
                        + " write.*"), "pghactl status shows the alarm while it lasts:\n" + status.out());
            } finally {
                AgentCluster.signal("CONT", agents);
                resumed = System.currentTimeMillis();
            }
            cluster.await("the NOSPACE alarm disarmed by the agents", Duration.ofSeconds(60),
                    () -> alarms(dcs).isEmpty() ? Optional.of(true) : Optional.empty(), () -> alarms(dcs).toString());
            long disarmed = System.currentTimeMillis();
            timings.put("NOSPACE: agents resumed -> alarm disarmed, seen from the test (ms)",
                    Long.toString(disarmed - resumed));
            dcs.put("/pgha-test/after", "etcd takes writes again", 0);
            JsonNode recovery = cluster.await("a status that tells of the recovery", Duration.ofSeconds(60),
                    () -> cluster.statusesQuietly().values().stream()
                            .flatMap(s -> stream(s.path("etcd").path("recoveries")))
                            .filter(r -> r.path("recovered").asLong() >= raised).findFirst(),
                    () -> "none yet");
            assertTrue(recovery.path("alarm").asText().startsWith("NOSPACE on "), recovery.toString());
            assertTrue(recovery.path("steps").asText().matches("compacted at revision \\d+, defragmented \\S+,"
                    + " defragmented \\S+, defragmented \\S+, disarmed"), recovery.toString());
            awaitAcks(log, disarmed, 20);
            timings.put("NOSPACE: raised -> disarmed, longest write gap via lb (ms)", Long.toString(log.longestGap(
                    raised, System.currentTimeMillis())));
            assertEquals(leaderBefore, leader(), "Patroni kept its leader");
            // The leader key is Patroni's to renew: a switchover needs it written, and so proves it works.
            AgentCluster.Outcome switched = cluster.ctlWithin(Duration.ofSeconds(90), "switchover");
            assertEquals(0, switched.exitCode(), switched.toString());
            assertNotEquals(leaderBefore, leader(), "the leader lock moved after the recovery");
        } finally {
            writer.stop();
        }
        assertNoAckedRowLost(log, "NOSPACE");
    }

    @Test
    @Order(5)
    void aDeadMemberIsReplacedUnderASteadyWriter() throws Exception {
        WriteLog log = new WriteLog();
        LabWriter writer = startWriter(log, 2_000_000);
        try {
            awaitAcks(log, 0, 20);
            String leaderBefore = leader();
            long timeline = cluster.timeline(leaderBefore);
            cluster.kill("etcd3");
            long t0 = System.currentTimeMillis();
            List<LabPlan.Host> replaced = plan.hosts().stream().filter(h -> !h.name().equals("etcd3"))
                    .map(h -> h.name().equals("spare1") ? new LabPlan.Host(h.name(), h.address(), EnumSet.of(Role.ETCD))
                            : h).toList();
            AgentCluster.Outcome applied = applyFile(spec(plan.withHosts(replaced)) + ETCD_SETTINGS);
            assertEquals(0, applied.exitCode(), applied.toString());
            assertTrue(applied.out().contains("etcd membership: adds etcd member spare1, removes etcd member etcd3"),
                    applied.toString());
            long revision = AgentCluster.revisionIn(applied.out());
            try (EtcdDcs dcs = cluster.dcs()) {
                cluster.await("etcd1, etcd2 and spare1 the voting members", Duration.ofSeconds(120), () -> {
                    List<EtcdMember> m = membersQuietly(dcs);
                    boolean done = m.size() == 3 && m.stream().noneMatch(EtcdMember::learner) && m.stream()
                            .map(EtcdMember::name).sorted().toList().equals(List.of("etcd1", "etcd2", "spare1"));
                    return done ? Optional.of(true) : Optional.empty();
                }, () -> membersQuietly(dcs).toString());
            }
            timings.put("replace a dead member: apply to spare1 voting, etcd3 gone (ms)",
                    Long.toString(System.currentTimeMillis() - t0));
            for (String h : List.of("etcd1", "etcd2", "spare1")) {
                cluster.lab().agentLog(plan.host(h), 200).lines().filter(l -> l.contains("EtcdCare"))
                        .forEach(l -> System.out.println("etcd care on " + h + " | " + l));
            }
            awaitAcks(log, System.currentTimeMillis(), 20);
            timings.put("replace a dead member: write gap via lb (ms)", Long.toString(log.longestGap(t0,
                    System.currentTimeMillis())));
            assertEquals(leaderBefore, leader(), "Patroni never lost its leader");
            assertEquals(timeline, cluster.timeline(leaderBefore), "no failover: the timeline stayed");

            List<String> members = List.of(clientUrl("etcd1"), clientUrl("etcd2"), clientUrl("spare1"));
            List<String> live = plan.hosts().stream().map(LabPlan.Host::name).filter(h -> !h.equals("etcd3")).toList();
            awaitEndpoints(live, members, revision);
            for (String data : cluster.dataHosts()) {
                String yml = Files.readString(cluster.path(data, "etc/pgha-agent/patroni.yml"));
                assertTrue(yml.contains(cluster.address("spare1") + ":2379") && !yml.contains(cluster.address("etcd3")
                        + ":2379"), data + "'s patroni.yml follows the spec's members:\n" + yml);
            }
            assertTrue(Files.readString(cluster.agentYml("pg1")).contains(cluster.address("etcd3")),
                    "agent.yml is left as the operator wrote it (stale)");
            ProcessHandle agent = cluster.lab().agent(plan.host("pg1")).orElseThrow();
            if (plan.os().booted()) {
                cluster.runOn("pg1", "systemctl", "restart", "pgha-agent");
            } else {
                agent.destroy();
                agent.onExit().completeOnTimeout(agent, 30, TimeUnit.SECONDS).join();
                assertFalse(agent.isAlive(), "pg1's agent ended within 30 s of its SIGTERM");
                cluster.start("pg1");
            }
            long restarted = cluster.lab().agent(plan.host("pg1")).map(ProcessHandle::pid).orElse(0L);
            assertNotEquals(agent.pid(), restarted, "pg1's agent runs anew");
            awaitEndpoints(List.of("pg1"), members, revision);
        } finally {
            writer.stop();
        }
        assertNoAckedRowLost(log, "member replacement");
    }

    /** Rewrites one key until etcd refuses for its quota (a runaway writer); when that happened. */
    private static long fill(EtcdDcs dcs) {
        String value = "y".repeat(200_000);
        for (int i = 0; i < 1000; i++) {
            try {
                dcs.put(FILL_KEY, value + i, 0);
            } catch (DcsException e) {
                assertTrue(e.getMessage().contains("database space exceeded"), e.getMessage());
                return System.currentTimeMillis();
            }
        }
        throw new AssertionError("the quota of 16 MiB was never reached in 1000 writes of 200 kB");
    }

    /** Each host's status names exactly {@code endpoints} as the etcd it uses, at {@code revision} or later. */
    private void awaitEndpoints(List<String> hosts, List<String> endpoints, long revision) throws InterruptedException {
        cluster.await(hosts + " use etcd at " + endpoints, Duration.ofSeconds(60), () -> {
            Map<String, JsonNode> all = cluster.statusesQuietly();
            boolean done = hosts.stream().allMatch(h -> all.containsKey(h)
                    && all.get(h).path("spec_revision").asLong() >= revision
                    && stream(all.get(h).path("etcd").path("endpoints")).map(JsonNode::asText).sorted().toList()
                    .equals(endpoints.stream().sorted().toList()));
            return done ? Optional.of(true) : Optional.empty();
        }, () -> {
            StringBuilder sb = new StringBuilder();
            cluster.statusesQuietly().forEach((h, s) -> sb.append('\n').append(h).append(' ')
                    .append(s.path("etcd").path("endpoints")));
            return sb.toString();
        });
    }

    private AgentCluster.Outcome applyFile(String text) throws Exception {
        java.nio.file.Path file = cluster.base().resolve("cluster-etcd.yml");
        Files.writeString(file, text);
        return cluster.ctl("apply", "-f", file.toString());
    }

    private long revisionNow() throws Exception {
        try (EtcdDcs dcs = cluster.dcs()) {
            return dcs.spec().orElseThrow().modRevision();
        }
    }

    /** Every defragmentation any agent recorded, oldest first. */
    /** The defragmentations every agent reports, as read through {@code dcs}; empty when the read failed. */
    private static Optional<List<JsonNode>> defragmentationsRead(EtcdDcs dcs) {
        try {
            List<JsonNode> out = new ArrayList<>();
            for (String text : dcs.statusTexts().values()) {
                stream(JSON.readTree(text).path("etcd").path("defragmentations")).forEach(out::add);
            }
            return Optional.of(out);
        } catch (DcsException | IOException e) {
            return Optional.empty();
        }
    }

    private List<JsonNode> defragmentations() {
        List<JsonNode> out = new ArrayList<>();
        cluster.statusesQuietly().values().forEach(s -> stream(s.path("etcd").path("defragmentations"))
                .forEach(out::add));
        out.sort(java.util.Comparator.comparingLong(d -> d.path("start").asLong()));
        return out;
    }

    /** The raft leader's name if each of {@code hosts} answers and names the same leader, one of them. */
    private Optional<String> etcdLeaderAmong(EtcdDcs dcs, List<String> hosts) {
        Set<Long> leaders = new TreeSet<>();
        for (String h : hosts) {
            try {
                leaders.add(dcs.admin().memberStatus(clientUrl(h)).leaderId());
            } catch (DcsException e) {
                return Optional.empty();
            }
        }
        if (leaders.size() != 1) {
            return Optional.empty();
        }
        long id = leaders.iterator().next();
        return membersQuietly(dcs).stream().filter(m -> m.id() == id).map(EtcdMember::name).filter(hosts::contains)
                .findFirst();
    }

    private String clientUrl(String host) {
        return "https://" + cluster.address(host) + ":2379";
    }

    private static List<String> alarms(EtcdDcs dcs) {
        try {
            return dcs.admin().alarms().stream().map(a -> a.type() + " on " + Long.toHexString(a.memberId())).toList();
        } catch (DcsException e) {
            return List.of("unreadable: " + e.getMessage());
        }
    }

    private static List<EtcdMember> membersQuietly(EtcdDcs dcs) {
        try {
            return dcs.admin().members();
        } catch (DcsException e) {
            return List.of();
        }
    }

    private static java.util.stream.Stream<JsonNode> stream(JsonNode array) {
        List<JsonNode> out = new ArrayList<>();
        array.forEach(out::add);
        return out.stream();
    }

    private LabWriter startWriter(WriteLog log, long firstId) {
        LabWriter w = new LabWriter(lb(), 5000, password, firstId, WRITE_INTERVAL_MILLIS, TimeUnit.MINUTES.toMillis(5),
                log::add);
        Thread t = new Thread(w, "writer-" + firstId);
        t.setDaemon(true);
        t.start();
        return w;
    }

    private void awaitAcks(WriteLog log, long after, int count) throws InterruptedException {
        cluster.await(count + " writes acknowledged through the lb", Duration.ofSeconds(90),
                () -> log.acksAfter(after) >= count ? Optional.of(true) : Optional.empty(),
                () -> log.acksAfter(after) + " acknowledged");
    }

    private void assertNoAckedRowLost(WriteLog log, String what) throws Exception {
        Set<Long> acked = log.acked();
        assertTrue(!acked.isEmpty(), what + ": the writer had writes acknowledged");
        Set<Long> present = new TreeSet<>();
        try (Connection c = pg.connect(cluster.address(leader()), 5432); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select id from drill where id between " + ((TreeSet<Long>) acked).first()
                     + " and " + ((TreeSet<Long>) acked).last())) {
            while (rs.next()) {
                present.add(rs.getLong(1));
            }
        }
        Set<Long> lost = new TreeSet<>(acked);
        lost.removeAll(present);
        timings.put(what + ": acknowledged writes / lost", acked.size() + " / " + lost.size());
        assertEquals(Set.of(), lost, what + ": acknowledged rows missing");
    }

    private String leader() throws Exception {
        for (String h : cluster.dataHosts()) {
            try {
                Optional<PatroniClient.ClusterMember> l = cluster.patroni(cluster.address(h), Duration.ofSeconds(3))
                        .leader();
                if (l.isPresent()) {
                    return l.get().name();
                }
            } catch (java.io.IOException e) {
                // ask the next one
            }
        }
        throw new AssertionError("no data host knows a leader");
    }

    private String lb() {
        return cluster.lbAddress();
    }
}
