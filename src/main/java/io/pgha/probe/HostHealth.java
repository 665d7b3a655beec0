package io.pgha.probe;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgha.model.ClusterSpec;
import io.pgha.model.Health;
import io.pgha.pooler.PoolerConsole;
import io.pgha.model.Health.Haproxy;
import io.pgha.model.PatroniTimers;
import io.pgha.model.Pending;
import io.pgha.model.ProgramVersion;
import io.pgha.postgres.InEffect;
import io.pgha.postgres.PatroniClient;
import io.pgha.postgres.PatroniConfig;
import io.pgha.postgres.PgSetting;
import io.pgha.postgres.PostgresProbe;
import java.io.IOException;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Health of one host by role, from the engines themselves: etcd's /health, Patroni's REST API, pgjdbc, HAProxy.
 * Keeps one HTTP client per peer and one Postgres connection per server across probes. Not thread-safe: one caller.
 */
public final class HostHealth {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final double DB_QUOTA_ALARM_PERCENT = 80;
    private static final long CONFIG_EVERY_NANOS = Duration.ofMinutes(1).toNanos();
    private final EtcdHealth etcd;
    private final HaproxyStats haproxy = new HaproxyStats(TIMEOUT);
    private final Map<String, PatroniClient> patroni = new HashMap<>();
    private final SSLContext tls;
    private final Path caFile;
    private PostgresProbe monitor;
    private String monitorPassword;
    private ConfigRead configRead;

    /** Patroni's /config as read for one spec, and when. */
    private record ConfigRead(ClusterSpec spec, JsonNode config, long at) {
    }

    /** {@code tls}: this host's certificate, for etcd and Patroni; {@code caFile}: to verify Postgres servers. */
    public HostHealth(SSLContext tls, Path caFile) {
        this.tls = tls;
        this.caFile = caFile;
        this.etcd = new EtcdHealth(TIMEOUT, tls);
    }

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
                        + " NOSPACE and refuses every write (etcd.quota_bytes; the agents then compact and defragment)",
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
    public HealthReport data(String name, String address, int restPort, int pgPort, Optional<String> monitorPassword,
                             Optional<ClusterSpec> spec) {
        HealthReport report = dataHealth(name, address, restPort, pgPort, monitorPassword, spec);
        if (spec.isEmpty()) {
            return report;
        }
        List<Pending> pending = new ArrayList<>();
        Health.Patroni p = report.health().patroni();
        if (p != null && p.state() != null && p.state().equals("running")) {
            try {
                JsonNode config = patroniConfig(address, restPort, spec.get());
                List<Pending> configPending = InEffect.patroniConfig(PatroniConfig.dynamic(spec.get()), config);
                if (!configPending.isEmpty()) {
                    configRead = null;
                }
                pending.addAll(configPending);
                report = report.withPatroni(p.withTimers(timersRun(config, p.version())));
            } catch (IOException e) {
                configRead = null;
                pending.add(Pending.unreadable("patroni config", e.getMessage()));
            }
        }
        pending.addAll(inEffect(address, pgPort, monitorPassword, spec.get(), report.health()));
        return report.pending(pending);
    }

    /**
     * Patroni's dynamic configuration, read again for a new spec, while it differs from the spec, and once a minute
     * (someone may change it by hand); in between, the last reading: each read is a TLS handshake with Patroni, which
     * closes every connection after one answer.
     */
    private JsonNode patroniConfig(String address, int restPort, ClusterSpec spec) throws IOException {
        if (configRead == null || !configRead.spec().equals(spec)
                || System.nanoTime() - configRead.at() > CONFIG_EVERY_NANOS) {
            configRead = new ConfigRead(spec, patroni(address, restPort).config(), System.nanoTime());
        }
        return configRead.config();
    }

    /** The timers in Patroni's dynamic configuration as this Patroni runs them (3.2 and later adjust them). */
    static String timersRun(JsonNode config, String version) {
        PatroniTimers stored = new PatroniTimers(config.path("ttl").asInt(30), config.path("loop_wait").asInt(10),
                config.path("retry_timeout").asInt(10));
        return ProgramVersion.find(version == null ? "" : version).map(stored::effective).orElse(stored).toString();
    }

    /**
     * What of the spec's Postgres parameters is not in effect here: pg_settings on this server (and, on a replica,
     * the leader's hot-standby parameters, which may hold a lowered one up). Patroni's /config is compared by
     * {@link #data}, which also reads the timers from it.
     */
    private List<Pending> inEffect(String address, int pgPort, Optional<String> monitorPassword, ClusterSpec spec,
                                   Health health) {
        Health.Patroni p = health.patroni();
        if (p == null || p.state() == null || !p.state().equals("running")) {
            return List.of(Pending.unreadable("postgres settings", "Patroni reports Postgres "
                    + (p == null ? "unknown" : p.state())));
        }
        if (monitorPassword.isEmpty()) {
            return List.of(Pending.unreadable("postgres settings", "no cluster secrets yet"));
        }
        List<Pending> pending = new ArrayList<>();
        Map<String, String> desired = PatroniConfig.parameters(spec);
        PostgresProbe pg = monitor(monitorPassword.get());
        try {
            Map<String, PgSetting> here = pg.settings(address, pgPort, desired.keySet());
            Map<String, PgSetting> leader = Map.of();
            // The leader's name came from GET /cluster just now; the spec knows its address.
            Optional<String> leaderAddress = p.isLeader() || p.leader() == null ? Optional.empty()
                    : spec.host(p.leader()).map(ClusterSpec.Host::address);
            if (leaderAddress.isPresent()) {
                try {
                    leader = pg.settings(leaderAddress.get(), pgPort, InEffect.HOT_STANDBY_MINIMUMS);
                } catch (SQLException e) {
                    // Without the leader's values a held-up parameter shows as waiting for this host's restart.
                }
            }
            pending.addAll(InEffect.parameters(desired, here, leader, p.isLeader()));
        } catch (SQLException e) {
            pending.add(Pending.unreadable("postgres settings", e.getMessage()));
        }
        return pending;
    }

    /** The probe as the monitor user, its connections kept from one probe to the next while the password holds. */
    private PostgresProbe monitor(String password) {
        if (monitor == null || !password.equals(monitorPassword)) {
            if (monitor != null) {
                monitor.close();
            }
            monitor = PostgresProbe.keeping(PatroniConfig.MONITOR_USER, password, 2, caFile);
            monitorPassword = password;
        }
        return monitor;
    }

    private PatroniClient patroni(String address, int restPort) {
        return patroni.computeIfAbsent(address + ":" + restPort, k -> new PatroniClient(address, restPort, TIMEOUT, tls, ""));
    }

    private HealthReport dataHealth(String name, String address, int restPort, int pgPort,
                                    Optional<String> monitorPassword, Optional<ClusterSpec> spec) {
        boolean synchronousMode = spec.map(x -> x.patroni().synchronousMode()).orElse(false);
        PatroniClient client = patroni(address, restPort);
        PatroniClient.Member member;
        try {
            member = client.member();
        } catch (IOException e) {
            return HealthReport.of(new Health(null, Health.Patroni.UNREACHABLE, null, null),
                    "Patroni REST API not answering: " + e.getMessage());
        }
        List<String> problems = new ArrayList<>();
        // GET /cluster reads etcd: with etcd unreachable it fails while /patroni still answers.
        Optional<List<PatroniClient.ClusterMember>> members;
        try {
            members = Optional.of(client.cluster());
        } catch (IOException e) {
            members = Optional.empty();
            problems.add("Patroni cannot list the cluster (etcd unreachable?): " + e.getMessage());
        }
        Optional<PatroniClient.ClusterMember> leader = members.flatMap(all -> all.stream()
                .filter(PatroniClient.ClusterMember::isLeader).findFirst());
        Health.Patroni p = new Health.Patroni(member.isLeader() ? Health.Patroni.LEADER : member.role(), member.state(),
                member.timeline(), member.pendingRestart(),
                leader.map(PatroniClient.ClusterMember::name).orElse(member.isLeader() ? name : ""),
                member.failsafeActive() ? Boolean.TRUE : null, member.version().isEmpty() ? null : member.version(),
                null, member.paused() ? Boolean.TRUE : null);
        if (member.isLeader() && member.failsafeActive()) {
            problems.add("etcd unreachable for Patroni: this leader stays primary on failsafe (every member answered"
                    + " its call); no failover is possible until etcd is back");
        }
        if (!member.state().equals("running")) {
            problems.add("Patroni reports Postgres " + member.state());
        }
        if (members.isPresent() && leader.isEmpty()) {
            problems.add("the cluster has no leader");
        }
        if (monitorPassword.isEmpty()) {
            problems.add("no cluster secrets yet: Postgres not checked");
            return new HealthReport(new Health(null, p, null, null), problems);
        }
        PostgresProbe pg = monitor(monitorPassword.get());
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
                if (synchronousMode && members.isPresent()
                        && members.get().stream().noneMatch(PatroniClient.ClusterMember::isSynchronous)) {
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
        Health.Archive archive = null;
        if (member.isLeader() && spec.flatMap(ClusterSpec::backup).isPresent()) {
            try {
                archive = pg.archiver(address, pgPort);
                if (Boolean.TRUE.equals(archive.failing())) {
                    problems.add(archiveProblem(archive));
                }
            } catch (SQLException e) {
                problems.add("cannot read pg_stat_archiver: " + e.getMessage());
            }
        }
        Health.Postgres postgres = new Health.Postgres(true, server.inRecovery(), (long) server.connections(),
                (long) server.maxConnections(), server.walBytes(), replicas, streaming, lag, archive, server.major());
        return new HealthReport(new Health(null, p, postgres, null), problems);
    }

    /** The repository host: its pgBackRest server accepts connections (the data hosts push WAL through it). */
    public HealthReport backup(String address, int port) {
        String endpoint = address + ":" + port;
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.connect(new java.net.InetSocketAddress(address, port), (int) TIMEOUT.toMillis());
            return new HealthReport(new Health(null, null, null, null, new Health.Backup(endpoint, true, null)),
                    List.of());
        } catch (IOException e) {
            return new HealthReport(new Health(null, null, null, null,
                    new Health.Backup(endpoint, false, e.getMessage())), List.of("pgBackRest server not answering on "
                    + endpoint + ": " + e.getMessage() + " (WAL archiving and backups wait for it)"));
        }
    }

    /** Postgres keeps every segment until it is archived: the problem says how far behind and since when. */
    static String archiveProblem(Health.Archive a) {
        String waiting = a.waiting() + " segment(s) waiting" + (a.oldestWaitingAt() == null ? ""
                : ", the oldest since " + Instant.ofEpochMilli(a.oldestWaitingAt()));
        String archived = a.lastArchivedAt() == null ? "no segment archived yet"
                : "last segment archived " + a.lastArchived() + " at " + Instant.ofEpochMilli(a.lastArchivedAt());
        String failure = a.lastAttemptFailed()
                ? "last failure " + a.lastFailed() + " at " + Instant.ofEpochMilli(a.lastFailedAt())
                : "no attempt failed yet, but the oldest has waited over " + Health.Archive.STALLED.toSeconds()
                        + " s (pgBackRest is still trying)";
        return "WAL archiving to the backup repository failing: " + waiting + "; " + archived + "; " + failure
                + " (Postgres keeps them in pg_wal until archived)";
    }

    /**
     * An lb host is healthy when HAProxy routes writes: exactly one server of its primary proxy is UP. Its
     * configuration is in effect when the primary proxy has exactly the spec's data hosts as servers.
     */
    public HealthReport lb(String address, int statsPort, List<String> dataHosts, Optional<ClusterSpec.Vip> vip) {
        HealthReport report = lbHealth(address, statsPort);
        if (vip.isPresent()) {
            report = report.withVip(vipHeld(vip.get().address()));
        }
        Haproxy h = report.health().haproxy();
        List<String> servers = h == null ? List.of()
                : List.copyOf(h.proxies().getOrDefault("primary", Map.of()).keySet());
        if (servers.isEmpty() || !new java.util.HashSet<>(servers).equals(new java.util.HashSet<>(dataHosts))) {
            return report.pending(List.of(new Pending("haproxy primary servers", String.join(",", servers),
                    String.join(",", dataHosts), Pending.HAPROXY_RELOAD)));
        }
        return report;
    }

    /** The servers HAProxy on this host sends writes to now (its stats listen on loopback). */
    public List<String> primariesUp(int statsPort) throws IOException {
        return routing("127.0.0.1", statsPort).up("primary");
    }

    /**
     * PgBouncer as its admin console answers, and whether it is paused for a switchover ({@code paused}, as the agent
     * that paused it knows: PgBouncer 1.18 cannot say). A pooler that does not answer is a problem.
     */
    public static HealthReport pooler(PoolerConsole console, Optional<String> paused, Optional<String> pauseFailure) {
        try {
            PoolerConsole.Lists lists = console.lists();
            return HealthReport.of(poolerPart(new Health.Pooler(console.port(), true, lists.clients(),
                    lists.servers(), paused.orElse(null), pauseFailure.orElse(null))));
        } catch (IOException e) {
            String detail = e.getMessage();
            return HealthReport.of(poolerPart(new Health.Pooler(console.port(), false, null, null,
                    paused.orElse(null), detail)), "pooler not answering (" + detail + ")");
        }
    }

    private static Health poolerPart(Health.Pooler pooler) {
        return new Health(null, null, null, null, null, null, pooler);
    }

    /** Whether an interface of this host has the floating address, as the kernel says (not as keepalived says). */
    public static Health.Vip vipHeld(String address) {
        try {
            Optional<String> device = deviceHolding(address);
            return new Health.Vip(address, device.isPresent(), device.orElse(null), null);
        } catch (IOException e) {
            return new Health.Vip(address, false, null, null);
        }
    }

    /** The interface of this host (its network namespace) that has {@code address} (an IPv4 literal), if any. */
    public static Optional<String> deviceHolding(String address) throws IOException {
        return Optional.ofNullable(java.net.NetworkInterface.getByInetAddress(java.net.InetAddress.getByName(address)))
                .map(java.net.NetworkInterface::getName);
    }

    private HealthReport lbHealth(String address, int statsPort) {
        try {
            Health.Haproxy h = routing(address, statsPort);
            int primariesUp = h.up("primary").size();
            return primariesUp == 1 ? HealthReport.of(new Health(null, null, null, h))
                    : HealthReport.of(new Health(null, null, null, h),
                            "HAProxy has " + primariesUp + " primary servers up (expected 1)");
        } catch (IOException e) {
            return HealthReport.of(new Health(null, null, null, new Health.Haproxy(Map.of())),
                    "HAProxy stats not answering: " + e.getMessage());
        }
    }

    /** HAProxy's servers by proxy, each with its status, as its stats say now. */
    private Health.Haproxy routing(String address, int statsPort) throws IOException {
        Map<String, Map<String, String>> proxies = new LinkedHashMap<>();
        for (HaproxyStats.Server s : haproxy.servers(address, statsPort)) {
            proxies.computeIfAbsent(s.proxy(), k -> new LinkedHashMap<>()).put(s.name(), s.status());
        }
        return new Health.Haproxy(proxies);
    }
}
