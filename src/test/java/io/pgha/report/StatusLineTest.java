package io.pgha.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgha.model.Health;
import io.pgha.model.HostStatus;
import io.pgha.model.Pending;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StatusLineTest {
    private static HostStatus status(String role, long rev, boolean converged, Health health, List<String> problems,
                                     String error) {
        return new HostStatus(HostStatus.SCHEMA, "pg2", "10.0.1.2", role, rev, converged,
                converged ? HostStatus.APPLIED : error.isEmpty() ? HostStatus.PENDING : HostStatus.FAILED,
                converged || rev == 0 ? List.of()
                        : List.of(new Pending("max_connections", "150", "120", Pending.LEADER_RESTART)),
                List.of(), List.of(), health,
                problems, List.of(), List.of(), List.of(), error, "0.1.0", 1, 0, 0, null, null);
    }

    @Test
    void aRefusedNewerSpecShowsBesideTheRevisionStillApplied() {
        Health health = new Health(null, patroni("replica", "pg1"), replicaStreaming(0), null);
        HostStatus s = status("data", 1013, true, health, List.of(), "");
        HostStatus refused = new HostStatus(s.schema(), s.host(), s.address(), s.role(), s.specRevision(), false,
                s.specState(), s.pending(), s.resources(), s.processes(), s.health(), s.problems(), s.disk(),
                s.fsync(), s.warnings(), "spec rev 1132 refused, still following rev 1013: hosts.pg9.role: unknown",
                s.agentVersion(), s.agentPid(), s.updated(), s.secretsRevision(), s.etcd(), s.backup(), 1132, null);
        assertEquals("data: replica of pg1, streaming, lag 0 B, spec rev 1013 applied, 1132 refused; spec rev 1132"
                + " refused, still following rev 1013: hosts.pg9.role: unknown", StatusLine.of(refused));
    }

    private static Health.Patroni patroni(String role, String leader) {
        return new Health.Patroni(role, "running", 1L, false, leader, null, null, null);
    }

    private static Health.Postgres replicaStreaming(long lag) {
        return new Health.Postgres(true, true, null, null, null, null, true, lag);
    }

    private static Health.Postgres leaderWith(List<Health.Replica> replicas) {
        return new Health.Postgres(true, false, null, null, null, replicas, null, null);
    }

    private static Map<String, Boolean> members(Object... nameAndHealthy) {
        Map<String, Boolean> m = new LinkedHashMap<>();
        for (int i = 0; i < nameAndHealthy.length; i += 2) {
            m.put((String) nameAndHealthy[i], (Boolean) nameAndHealthy[i + 1]);
        }
        return m;
    }

    private static Health.Etcd etcd(boolean healthy, Map<String, Boolean> members) {
        return new Health.Etcd(null, healthy, null, members, null, null, null, null, null, null);
    }

    private static Health.Haproxy haproxy(Map<String, String> primary, Map<String, String> replicas) {
        Map<String, Map<String, String>> proxies = new LinkedHashMap<>();
        proxies.put("primary", primary);
        proxies.put("replicas", replicas);
        return new Health.Haproxy(proxies);
    }

    @Test
    void replica() {
        Health health = new Health(null, patroni("replica", "pg1"), replicaStreaming(0), null);
        assertEquals("data: replica of pg1, streaming, lag 0 B, spec rev 41 applied",
                StatusLine.of(status("data", 41, true, health, List.of(), "")));
    }

    @Test
    void leader() {
        Health health = new Health(null, patroni("leader", "pg2"), leaderWith(List.of(
                new Health.Replica("pg1", "streaming", "async", 0L), new Health.Replica("pg3", "startup", "async", 0L))),
                null);
        assertEquals("data: leader, 1 replica streaming, spec rev 7 applied",
                StatusLine.of(status("data", 7, true, health, List.of(), "")));
    }

    @Test
    void aPendingRevisionSaysWhatItWaitsFor() {
        Health health = new Health(null, new Health.Patroni("replica", "running", 1L, true, "pg1", null, null, null),
                new Health.Postgres(true, true, 3L, 150L, 0L, null, true, 0L), null);
        assertEquals("data: replica of pg1, streaming, lag 0 B, spec rev 12 pending;"
                + " max_connections 150 -> 120 waits for the leader's restart",
                StatusLine.of(status("data", 12, false, health, List.of(), "")));
    }

    @Test
    void etcdWithAMemberDownAndNoSpec() {
        Health health = new Health(etcd(true, members("etcd1", true, "etcd2", false, "etcd3", true)), null, null, null);
        assertEquals("etcd: member healthy (2/3 members healthy), no spec yet",
                StatusLine.of(status("etcd", 0, false, health, List.of(), "")));
    }

    @Test
    void everyRoleOfAColocatedHost() {
        Health health = new Health(etcd(true, members("solo", true)), patroni("leader", "solo"),
                leaderWith(List.of()), haproxy(Map.of("solo", "UP"), Map.of("solo", "DOWN")));
        assertEquals("etcd+data+lb: etcd member healthy (1/1 members healthy), leader, 0 replicas streaming,"
                        + " writes -> solo, reads -> none, spec rev 9 applied",
                StatusLine.of(status("etcd+data+lb", 9, true, health, List.of(), "")));
    }

    @Test
    void lbAndTroubleComeLast() {
        Map<String, String> primary = new LinkedHashMap<>();
        primary.put("pg1", "DOWN");
        primary.put("pg2", "UP");
        Map<String, String> replicas = new LinkedHashMap<>();
        replicas.put("pg1", "UP 1/2");
        replicas.put("pg2", "DOWN");
        Health health = new Health(null, null, null, haproxy(primary, replicas));
        assertEquals("lb: writes -> pg2, reads -> pg1, spec rev 3 failed; spec rev 4 refused: bad",
                StatusLine.of(status("lb", 3, false, health, List.of("x"), "spec rev 4 refused: bad\nmore")));
    }

    @Test
    void theRepositoryHostTellsItsBackupsAndItsLastDrill() {
        long now = 1795817772_000L + 600_000;
        io.pgha.model.BackupReport report = new io.pgha.model.BackupReport("ok", List.of(
                new io.pgha.model.BackupReport.BackupSet("20261127-221608F", "full", 1795817768, 1795817772, 1, 1, "",
                        "")), "", "", List.of(new io.pgha.model.BackupReport.Job("drill", "", "", "failed", 1, 2,
                "no marker", null, null)));
        HostStatus s = new HostStatus(HostStatus.SCHEMA, "backup1", "10.0.4.1", "backup", 3, true, HostStatus.APPLIED,
                List.of(), List.of(), List.of(), Health.NONE, List.of(), List.of(), List.of(), List.of(), "", "0.1.0",
                1, now, 0, null, report);
        assertEquals("backup: 1 backup, newest 10 min old, last drill failed, spec rev 3 applied", StatusLine.of(s));
        HostStatus waiting = new HostStatus(HostStatus.SCHEMA, "backup1", "10.0.4.1", "backup", 3, false,
                HostStatus.PENDING, List.of(), List.of(), List.of(), Health.NONE, List.of(), List.of(), List.of(),
                List.of(), "", "0.1.0", 1, now, 0, null, null);
        assertEquals("backup: repository not read yet, spec rev 3 pending", StatusLine.of(waiting));
    }

    @Test
    void anLbHostSaysWhetherItHoldsTheFloatingAddressOrWhyItStoodDown() {
        Health.Haproxy routing = new Health.Haproxy(Map.of("primary", Map.of("pg1", "UP"), "replicas",
                Map.of("pg2", "UP")));
        assertEquals("lb: writes -> pg1, reads -> pg2, holds 10.0.2.100, spec rev 7 applied", StatusLine.of(status("lb",
                7, true, new Health(null, null, null, routing, null, new Health.Vip("10.0.2.100", true, "eth0", null)),
                List.of(), "")));
        assertEquals("lb: writes -> pg1, reads -> pg2, standing by for 10.0.2.100, spec rev 7 applied",
                StatusLine.of(status("lb", 7, true, new Health(null, null, null, routing, null,
                        new Health.Vip("10.0.2.100", false, null, null)), List.of(), "")));
        assertEquals(", not taking 10.0.2.100: HAProxy not answering",
                StatusLine.vip(new Health.Vip("10.0.2.100", false, null, "HAProxy not answering")));
    }

    @Test
    void anLbHostWithAPoolerSaysItsClientsOrThatItIsPausedOrDown() {
        assertEquals(", pooler 3 clients", StatusLine.pooler(new Health.Pooler(6432, true, 3L, 2L, null, null)));
        assertEquals(", pooler paused for a switchover",
                StatusLine.pooler(new Health.Pooler(6432, true, 3L, 0L, "id-1", null)));
        assertEquals(", pooler down", StatusLine.pooler(new Health.Pooler(6432, false, null, null, null,
                "connection refused")));
        assertEquals("", StatusLine.pooler(null));
    }
}
