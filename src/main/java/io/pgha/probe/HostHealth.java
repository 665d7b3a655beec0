package io.pgha.probe;

import io.pgha.model.Health;
import io.pgha.postgres.PatroniClient;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Health of one host by role, from the engines themselves: etcd's /health, Patroni's REST API, pgjdbc, HAProxy.
 * Keeps one HTTP client per peer across probes. Not thread-safe: one caller.
 */
public final class HostHealth {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final double DB_QUOTA_ALARM_PERCENT = 80;
    private final EtcdHealth etcd = new EtcdHealth(TIMEOUT);
    private final HaproxyStats haproxy = new HaproxyStats(TIMEOUT);
    private final Map<String, PatroniClient> patroni = new HashMap<>();

    /**
     * This member's health decides the host's; the other members' are reported beside it, so that every etcd host
     * tells of a member that is down (whose own agent may be down with it).
     */
    public HealthReport etcd(String ownName, Map<String, String> memberUrls) {
        Map<String, Boolean> members = new LinkedHashMap<>();
        EtcdHealth.Result own = null;
        for (Map.Entry<String, String> m : memberUrls.entrySet()) {
            EtcdHealth.Result r = etcd.probe(m.getValue());
            members.put(m.getKey(), r.healthy());
            if (m.getKey().equals(ownName)) {
                own = r;
            }
        }
        if (own == null) {
            return HealthReport.of(new Health(Health.Etcd.membersOnly(members), null, null, null),
                    ownName + " is no etcd member");
        }
        List<String> problems = new ArrayList<>();
        if (!own.healthy()) {
            problems.add("etcd member unhealthy: " + own.detail());
        }
        Health.Etcd details;
        try {
            EtcdMetrics m = etcd.metrics(own.endpoint());
            details = new Health.Etcd(own.endpoint(), own.healthy(), own.detail(), members, m.walFsyncP99Millis(),
                    m.backendCommitP99Millis(), m.leaderChanges(), m.dbBytes(), m.quotaBytes(), null);
            if (m.dbUsedPercent() >= DB_QUOTA_ALARM_PERCENT) {
                problems.add(String.format(Locale.ROOT, "etcd database at %.0f%% of its quota: at 100%% etcd raises"
                        + " NOSPACE and Patroni can no longer hold its leader key (compact and defragment etcd)",
                        m.dbUsedPercent()));
            }
            if (own.healthy() && !m.hasLeader()) {
                problems.add("etcd member has no leader");
            }
        } catch (IOException e) {
            details = new Health.Etcd(own.endpoint(), own.healthy(), own.detail(), members, null, null, null, null,
                    null, "unreadable: " + e.getMessage());
        }
        return new HealthReport(new Health(details, null, null, null), problems);
    }

    /**
     * A data host is healthy when Patroni runs, Postgres accepts connections, and a replica appears as streaming
     * in the leader's pg_stat_replication (seen there, not guessed from a lag figure).
     */
    public HealthReport data(String name, String address, int restPort, int pgPort, Optional<String> superuserPassword,
                             boolean synchronousMode) {
        PatroniClient client = patroni.computeIfAbsent(address + ":" + restPort,
                k -> new PatroniClient(address, restPort, TIMEOUT));
        PatroniClient.Member member;
        List<PatroniClient.ClusterMember> members;
        try {
            member = client.member();
            members = client.cluster();
        } catch (IOException e) {
            return HealthReport.of(new Health(null, Health.Patroni.UNREACHABLE, null, null),
                    "Patroni REST API not answering: " + e.getMessage());
        }
        Optional<PatroniClient.ClusterMember> leader = members.stream().filter(PatroniClient.ClusterMember::isLeader)
                .findFirst();
        Health.Patroni p = new Health.Patroni(member.isLeader() ? Health.Patroni.LEADER : member.role(), member.state(),
                member.timeline(), member.pendingRestart(), leader.map(PatroniClient.ClusterMember::name).orElse(""));
        List<String> problems = new ArrayList<>();
        if (!member.state().equals("running")) {
            problems.add("Patroni reports Postgres " + member.state());
        }
        if (leader.isEmpty()) {
            problems.add("the cluster has no leader");
        }
        if (superuserPassword.isEmpty()) {
            problems.add("no cluster secrets yet: Postgres not checked");
            return new HealthReport(new Health(null, p, null, null), problems);
        }
        PostgresProbe pg = new PostgresProbe("postgres", superuserPassword.get(), 2);
        PostgresProbe.Server server;
        try {
            server = pg.server(address, pgPort);
        } catch (SQLException e) {
            problems.add("Postgres not accepting connections: " + e.getMessage());
            return new HealthReport(new Health(null, p, Health.Postgres.NOT_ACCEPTING, null), problems);
        }
        List<Health.Replica> replicas = null;
        Boolean streaming = null;
        Long lag = null;
        try {
            if (member.isLeader()) {
                replicas = new ArrayList<>();
                for (PostgresProbe.Sender s : pg.senders(address, pgPort)) {
                    replicas.add(new Health.Replica(s.applicationName(), s.state(), s.syncState(), s.lagBytes()));
                }
                // Until Patroni has recorded a synchronous standby in etcd (Postgres may call one "sync" earlier),
                // it will promote nobody if this leader dies.
                if (synchronousMode && members.stream().noneMatch(m -> m.role().equals("sync_standby"))) {
                    problems.add("synchronous mode, but no synchronous standby yet: a failover now would find no"
                            + " candidate");
                }
            } else if (leader.isPresent()) {
                Optional<PostgresProbe.Sender> mine = pg.senders(leader.get().host(), pgPort).stream()
                        .filter(s -> s.applicationName().equals(name)).findFirst();
                streaming = mine.map(s -> s.state().equals("streaming")).orElse(false);
                lag = mine.map(PostgresProbe.Sender::lagBytes).orElse(-1L);
                if (!streaming) {
                    problems.add("not streaming from leader " + leader.get().name() + " ("
                            + mine.map(PostgresProbe.Sender::state).orElse("absent from its pg_stat_replication") + ")");
                }
            }
        } catch (SQLException e) {
            problems.add("cannot read pg_stat_replication: " + e.getMessage());
        }
        Health.Postgres postgres = new Health.Postgres(true, server.inRecovery(), (long) server.connections(),
                (long) server.maxConnections(), server.walBytes(), replicas, streaming, lag);
        return new HealthReport(new Health(null, p, postgres, null), problems);
    }

    /** An lb host is healthy when HAProxy routes writes: exactly one server of its primary proxy is UP. */
    public HealthReport lb(String address, int statsPort) {
        try {
            Map<String, Map<String, String>> proxies = new LinkedHashMap<>();
            for (HaproxyStats.Server s : haproxy.servers(address, statsPort)) {
                proxies.computeIfAbsent(s.proxy(), k -> new LinkedHashMap<>()).put(s.name(), s.status());
            }
            Health.Haproxy h = new Health.Haproxy(proxies);
            int primariesUp = h.up("primary").size();
            return primariesUp == 1 ? HealthReport.of(new Health(null, null, null, h))
                    : HealthReport.of(new Health(null, null, null, h),
                            "HAProxy has " + primariesUp + " primary servers up (expected 1)");
        } catch (IOException e) {
            return HealthReport.of(new Health(null, null, null, new Health.Haproxy(Map.of())),
                    "HAProxy stats not answering: " + e.getMessage());
        }
    }
}
