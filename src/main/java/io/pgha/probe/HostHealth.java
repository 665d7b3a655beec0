package io.pgha.probe;

import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Health of one host by role, from the engines themselves: etcd's /health, Patroni's REST API, pgjdbc, HAProxy. */
public final class HostHealth {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final double DB_QUOTA_ALARM_PERCENT = 80;
    private final EtcdHealth etcd = new EtcdHealth(TIMEOUT);
    private final HaproxyStats haproxy = new HaproxyStats(TIMEOUT);

    /**
     * This member's health decides the host's; the other members' are reported beside it, so that every etcd host
     * tells of a member that is down (whose own agent may be down with it).
     */
    public Health etcd(String ownName, Map<String, String> memberUrls) {
        Map<String, Object> members = new LinkedHashMap<>();
        EtcdHealth.Result own = null;
        for (Map.Entry<String, String> m : memberUrls.entrySet()) {
            EtcdHealth.Result r = etcd.probe(m.getValue());
            members.put(m.getKey(), r.healthy());
            if (m.getKey().equals(ownName)) {
                own = r;
            }
        }
        if (own == null) {
            return new Health(Map.of("etcd", Map.of("members", members)), List.of(ownName + " is no etcd member"));
        }
        Map<String, Object> etcdDetails = new LinkedHashMap<>();
        etcdDetails.put("endpoint", own.endpoint());
        etcdDetails.put("healthy", own.healthy());
        etcdDetails.put("detail", own.detail());
        etcdDetails.put("members", members);
        List<String> problems = new ArrayList<>();
        if (!own.healthy()) {
            problems.add("etcd member unhealthy: " + own.detail());
        }
        try {
            EtcdMetrics m = etcd.metrics(own.endpoint());
            etcdDetails.put("wal_fsync_p99_ms", m.walFsyncP99Millis());
            etcdDetails.put("backend_commit_p99_ms", m.backendCommitP99Millis());
            etcdDetails.put("leader_changes", m.leaderChanges());
            etcdDetails.put("db_bytes", m.dbBytes());
            etcdDetails.put("quota_bytes", m.quotaBytes());
            if (m.dbUsedPercent() >= DB_QUOTA_ALARM_PERCENT) {
                problems.add(String.format("etcd database at %.0f%% of its quota: at 100%% etcd raises NOSPACE and"
                        + " Patroni can no longer hold its leader key (compact and defragment etcd)", m.dbUsedPercent()));
            }
            if (own.healthy() && !m.hasLeader()) {
                problems.add("etcd member has no leader");
            }
        } catch (IOException e) {
            etcdDetails.put("metrics", "unreadable: " + e.getMessage());
        }
        return new Health(Map.of("etcd", etcdDetails), problems);
    }

    /**
     * A data host is healthy when Patroni runs, Postgres accepts connections, and a replica appears as streaming
     * in the leader's pg_stat_replication (seen there, not guessed from a lag figure).
     */
    public Health data(String name, String address, int restPort, int pgPort, Optional<String> superuserPassword,
                       boolean synchronousMode) {
        Map<String, Object> details = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        PatroniClient patroni = new PatroniClient(address, restPort, TIMEOUT);
        PatroniClient.Member member;
        List<PatroniClient.ClusterMember> members;
        try {
            member = patroni.member();
            members = patroni.cluster();
        } catch (IOException e) {
            problems.add("Patroni REST API not answering: " + e.getMessage());
            return new Health(Map.of("patroni", Map.of("state", "unreachable")), problems);
        }
        Optional<PatroniClient.ClusterMember> leader = members.stream().filter(PatroniClient.ClusterMember::isLeader)
                .findFirst();
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("role", member.isLeader() ? "leader" : member.role());
        p.put("state", member.state());
        p.put("timeline", member.timeline());
        p.put("pending_restart", member.pendingRestart());
        p.put("leader", leader.map(PatroniClient.ClusterMember::name).orElse(""));
        details.put("patroni", p);
        if (!member.state().equals("running")) {
            problems.add("Patroni reports Postgres " + member.state());
        }
        if (leader.isEmpty()) {
            problems.add("the cluster has no leader");
        }
        if (superuserPassword.isEmpty()) {
            problems.add("no cluster secrets yet: Postgres not checked");
            return new Health(details, problems);
        }
        PostgresProbe pg = new PostgresProbe("postgres", superuserPassword.get(), 2);
        Map<String, Object> postgres = new LinkedHashMap<>();
        details.put("postgres", postgres);
        try {
            PostgresProbe.Server server = pg.server(address, pgPort);
            postgres.put("accepting", true);
            postgres.put("in_recovery", server.inRecovery());
            postgres.put("connections", server.connections());
            postgres.put("max_connections", server.maxConnections());
            postgres.put("wal_bytes", server.walBytes());
        } catch (SQLException e) {
            postgres.put("accepting", false);
            problems.add("Postgres not accepting connections: " + e.getMessage());
            return new Health(details, problems);
        }
        try {
            if (member.isLeader()) {
                List<Map<String, Object>> replicas = new ArrayList<>();
                for (PostgresProbe.Sender s : pg.senders(address, pgPort)) {
                    replicas.add(Map.of("name", s.applicationName(), "state", s.state(), "sync_state", s.syncState(),
                            "lag_bytes", s.lagBytes()));
                }
                postgres.put("replicas", replicas);
                // Until Patroni has recorded a synchronous standby in etcd (Postgres may call one "sync" earlier),
                // it will promote nobody if this leader dies.
                if (synchronousMode && members.stream().noneMatch(m -> m.role().equals("sync_standby"))) {
                    problems.add("synchronous mode, but no synchronous standby yet: a failover now would find no"
                            + " candidate");
                }
            } else if (leader.isPresent()) {
                Optional<PostgresProbe.Sender> mine = pg.senders(leader.get().host(), pgPort).stream()
                        .filter(s -> s.applicationName().equals(name)).findFirst();
                postgres.put("streaming", mine.map(s -> s.state().equals("streaming")).orElse(false));
                postgres.put("lag_bytes", mine.map(PostgresProbe.Sender::lagBytes).orElse(-1L));
                if (mine.isEmpty() || !mine.get().state().equals("streaming")) {
                    problems.add("not streaming from leader " + leader.get().name() + " ("
                            + mine.map(PostgresProbe.Sender::state).orElse("absent from its pg_stat_replication") + ")");
                }
            }
        } catch (SQLException e) {
            problems.add("cannot read pg_stat_replication: " + e.getMessage());
        }
        return new Health(details, problems);
    }

    /** An lb host is healthy when HAProxy routes writes: exactly one server of its primary proxy is UP. */
    public Health lb(String address, int statsPort) {
        try {
            List<HaproxyStats.Server> servers = haproxy.servers(address, statsPort);
            Map<String, Object> backends = new LinkedHashMap<>();
            for (HaproxyStats.Server s : servers) {
                @SuppressWarnings("unchecked")
                Map<String, Object> proxy = (Map<String, Object>) backends.computeIfAbsent(s.proxy(),
                        k -> new LinkedHashMap<String, Object>());
                proxy.put(s.name(), s.status());
            }
            long primariesUp = servers.stream().filter(s -> s.proxy().equals("primary") && s.status().startsWith("UP"))
                    .count();
            List<String> problems = primariesUp == 1 ? List.of()
                    : List.of("HAProxy has " + primariesUp + " primary servers up (expected 1)");
            return new Health(Map.of("haproxy", backends), problems);
        } catch (IOException e) {
            return new Health(Map.of("haproxy", Map.of()), List.of("HAProxy stats not answering: " + e.getMessage()));
        }
    }
}
