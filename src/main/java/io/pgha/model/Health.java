package io.pgha.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the probes read from the engines a host runs, one part per engine; a part is absent (null) when the host has
 * no role that runs that engine, or the probe has not looked yet. Figures a probe could not read are absent too.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Health(Etcd etcd, Patroni patroni, Postgres postgres, Haproxy haproxy,
                     @JsonInclude(JsonInclude.Include.NON_NULL) Backup backup,
                     @JsonInclude(JsonInclude.Include.NON_NULL) Vip vip,
                     @JsonInclude(JsonInclude.Include.NON_NULL) Pooler pooler) {
    public static final Health NONE = new Health(null, null, null, null, null, null, null);

    public Health(Etcd etcd, Patroni patroni, Postgres postgres, Haproxy haproxy, Backup backup, Vip vip) {
        this(etcd, patroni, postgres, haproxy, backup, vip, null);
    }

    public Health(Etcd etcd, Patroni patroni, Postgres postgres, Haproxy haproxy) {
        this(etcd, patroni, postgres, haproxy, null, null);
    }

    public Health(Etcd etcd, Patroni patroni, Postgres postgres, Haproxy haproxy, Backup backup) {
        this(etcd, patroni, postgres, haproxy, backup, null);
    }

    /**
     * The floating address on an lb host, as its kernel has it.
     *
     * @param held   whether an interface of this host has the address now
     * @param device the interface that has it, when held
     * @param fault  why this host told keepalived to stand down (it may not hold the address); absent when it may
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Vip(String address, boolean held, String device, String fault) {
        public Vip withFault(String reason) {
            return new Vip(address, held, device, reason);
        }
    }

    /**
     * PgBouncer on an lb host, as its admin console answers.
     *
     * @param answering whether the console answered
     * @param clients   client connections (absent when it did not answer)
     * @param servers   server connections open
     * @param paused    the switchover it is paused for (pghactl switchover), absent while not paused
     * @param detail    why it did not answer, or why a pause failed
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Pooler(int port, boolean answering, Long clients, Long servers, String paused, String detail) {
        Pooler steady() {
            return new Pooler(port, answering, null, null, paused, detail);
        }
    }

    /** The repository host's pgBackRest server: whether it accepts connections on its TLS port. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Backup(String endpoint, boolean answering, String detail) {
    }

    /** This host's etcd member as its /health and /metrics tell, and every member's health beside it. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Etcd(String endpoint, Boolean healthy, String detail, Map<String, Boolean> members,
                       @JsonProperty("wal_fsync_p99_ms") Double walFsyncP99Millis,
                       @JsonProperty("backend_commit_p99_ms") Double backendCommitP99Millis,
                       @JsonProperty("leader_changes") Long leaderChanges,
                       @JsonProperty("db_bytes") Long dbBytes,
                       @JsonProperty("quota_bytes") Long quotaBytes,
                       /* why the figures above are absent, when /metrics could not be read */ String metrics) {
        public Etcd {
            members = members == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(members));
        }

        public static Etcd membersOnly(Map<String, Boolean> members) {
            return new Etcd(null, null, null, members, null, null, null, null, null, null);
        }

        @JsonIgnore
        public boolean isHealthy() {
            return Boolean.TRUE.equals(healthy);
        }

        public List<String> membersDown() {
            List<String> down = new ArrayList<>();
            members.forEach((name, ok) -> {
                if (!Boolean.TRUE.equals(ok)) {
                    down.add(name);
                }
            });
            return down;
        }

        Etcd steady() {
            return new Etcd(endpoint, healthy, detail, members, null, null, leaderChanges, null, quotaBytes, metrics);
        }
    }

    /**
     * This member as Patroni's REST API tells. {@code role} is "leader" for the leader whatever the Patroni version
     * calls it, else Patroni's own word (replica, sync_standby...); {@code state} is "unreachable" when the API did not
     * answer; {@code failsafeActive} is true on a leader that etcd's outage leaves on failsafe (absent otherwise);
     * {@code version} is Patroni's own; {@code timers} what it runs: the DCS values (GET /config) as this version
     * adjusts them.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Patroni(String role, String state, Long timeline,
                          @JsonProperty("pending_restart") Boolean pendingRestart, String leader,
                          @JsonProperty("failsafe_active") Boolean failsafeActive, String version, String timers,
                          Boolean paused) {
        public static final String LEADER = "leader";

        /** A member of a cluster that is not paused. */
        public Patroni(String role, String state, Long timeline, Boolean pendingRestart, String leader,
                       Boolean failsafeActive, String version, String timers) {
            this(role, state, timeline, pendingRestart, leader, failsafeActive, version, timers, null);
        }

        /** Patroni itself says the cluster is paused (no automatic failover). */
        @JsonIgnore
        public boolean isPaused() {
            return Boolean.TRUE.equals(paused);
        }
        public static final Patroni UNREACHABLE = new Patroni(null, "unreachable", null, null, null, null, null, null);

        /** With the timers this Patroni runs ("ttl 20, loop_wait 2, retry_timeout 4"). */
        public Patroni withTimers(String runs) {
            return new Patroni(role, state, timeline, pendingRestart, leader, failsafeActive, version, runs, paused);
        }

        @JsonIgnore
        public boolean isFailsafeActive() {
            return Boolean.TRUE.equals(failsafeActive);
        }

        @JsonIgnore
        public boolean isLeader() {
            return LEADER.equals(role);
        }
    }

    /**
     * Postgres as pgjdbc reads it; a leader lists its replicas from pg_stat_replication, a replica says whether it
     * appears there as streaming; {@code major} is the server's major version.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Postgres(Boolean accepting, @JsonProperty("in_recovery") Boolean inRecovery, Long connections,
                           @JsonProperty("max_connections") Long maxConnections,
                           @JsonProperty("wal_bytes") Long walBytes, List<Replica> replicas, Boolean streaming,
                           @JsonProperty("lag_bytes") Long lagBytes, Archive archive, Integer major) {
        public static final Postgres NOT_ACCEPTING = new Postgres(false, null, null, null, null, null, null, null);

        public Postgres(Boolean accepting, Boolean inRecovery, Long connections, Long maxConnections, Long walBytes,
                        List<Replica> replicas, Boolean streaming, Long lagBytes) {
            this(accepting, inRecovery, connections, maxConnections, walBytes, replicas, streaming, lagBytes, null,
                    null);
        }

        @JsonIgnore
        public boolean isStreaming() {
            return Boolean.TRUE.equals(streaming);
        }

        public long streamingReplicas() {
            return replicas == null ? 0 : replicas.stream().filter(r -> "streaming".equals(r.state())).count();
        }

        Postgres steady() {
            List<Replica> steadyReplicas = replicas == null ? null
                    : replicas.stream().map(r -> new Replica(r.name(), r.state(), r.syncState(), null)).toList();
            return new Postgres(accepting, inRecovery, null, maxConnections, null, steadyReplicas, streaming, null,
                    archive == null ? null : new Archive(archive.failing(), null, null, null, null, null, null), major);
        }
    }

    /**
     * The leader's WAL archiving, from pg_stat_archiver and pg_wal/archive_status: {@code failing} when the last
     * attempt failed or a segment has waited longer than {@link #STALLED}; the last segment archived and the last that
     * failed, with their times (epoch milliseconds); {@code waiting}: segments ready and not archived yet (how far
     * behind), the oldest of them ready since {@code oldestWaitingAt}.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Archive(Boolean failing, @JsonProperty("last_archived") String lastArchived,
                          @JsonProperty("last_archived_at") Long lastArchivedAt,
                          @JsonProperty("last_failed") String lastFailed,
                          @JsonProperty("last_failed_at") Long lastFailedAt, Long waiting,
                          @JsonProperty("oldest_waiting_at") Long oldestWaitingAt) {
        /**
         * A segment archives in about a second; one still waiting after this long is stuck. A repository that does
         * not answer makes pgBackRest wait out its timeouts (up to its 60 s archive-timeout) before Postgres records
         * a failure: the wait shows first.
         */
        public static final java.time.Duration STALLED = java.time.Duration.ofSeconds(30);

        /** Judged at {@code now} (the server's clock, epoch milliseconds). */
        public static Archive of(String lastArchived, Long lastArchivedAt, String lastFailed, Long lastFailedAt,
                                 long waiting, Long oldestWaitingAt, long now) {
            boolean stalled = oldestWaitingAt != null && now - oldestWaitingAt > STALLED.toMillis();
            return new Archive(failedLast(lastArchivedAt, lastFailedAt) || stalled, lastArchived, lastArchivedAt,
                    lastFailed, lastFailedAt, waiting, oldestWaitingAt);
        }

        /** The last attempt failed: nothing was archived after it. */
        @JsonIgnore
        public boolean lastAttemptFailed() {
            return failedLast(lastArchivedAt, lastFailedAt);
        }

        private static boolean failedLast(Long archivedAt, Long failedAt) {
            return failedAt != null && (archivedAt == null || failedAt > archivedAt);
        }
    }

    /** One row of the leader's pg_stat_replication. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Replica(String name, String state, @JsonProperty("sync_state") String syncState,
                          @JsonProperty("lag_bytes") Long lagBytes) {
    }

    /** HAProxy's servers by proxy ("primary", "replicas"), each with its status word (UP, DOWN, MAINT...). */
    public record Haproxy(@JsonValue Map<String, Map<String, String>> proxies) {
        @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
        public Haproxy {
            Map<String, Map<String, String>> copy = new LinkedHashMap<>();
            Objects.requireNonNullElse(proxies, Map.<String, Map<String, String>>of())
                    .forEach((proxy, servers) -> copy.put(proxy, java.util.Collections.unmodifiableMap(
                            new LinkedHashMap<>(servers))));
            proxies = java.util.Collections.unmodifiableMap(copy);
        }

        /** The servers of a proxy that are UP, in order. */
        public List<String> up(String proxy) {
            List<String> up = new ArrayList<>();
            proxies.getOrDefault(proxy, Map.of()).forEach((name, status) -> {
                if (status.startsWith("UP")) {
                    up.add(name);
                }
            });
            return up;
        }
    }

    /** Every part of this and of {@code other}; other's parts win where both have one. */
    public Health with(Health other) {
        return new Health(other.etcd != null ? other.etcd : etcd, other.patroni != null ? other.patroni : patroni,
                other.postgres != null ? other.postgres : postgres, other.haproxy != null ? other.haproxy : haproxy,
                other.backup != null ? other.backup : backup, other.vip != null ? other.vip : vip,
                other.pooler != null ? other.pooler : pooler);
    }

    /** Without the figures that move all the time (connections, lag, sizes, latencies). */
    public Health steady() {
        return new Health(etcd == null ? null : etcd.steady(), patroni, postgres == null ? null : postgres.steady(),
                haproxy, backup, vip, pooler == null ? null : pooler.steady());
    }

    /** Whether this host reported the floating address on one of its interfaces. */
    @JsonIgnore
    public boolean holdsVip() {
        return vip != null && vip.held();
    }

    @JsonIgnore
    public boolean isEmpty() {
        return equals(NONE);
    }
}
