package io.pgha.report;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * What an agent tells the cluster about its host, stored as JSON under {@code /pgha/<cluster>/hosts/<host>/status}.
 * Never carries a secret.
 *
 * @param role         the host's roles as one word: "data", or "etcd+data" on a host with several
 * @param specRevision the spec generation last converged (0 before the first)
 * @param converged    the last converge under that spec left every resource as desired, and the host is healthy
 * @param problems     why the host is not healthy, from the probes (empty when healthy)
 * @param disk         I/O of the devices under the roles' data directories (rates per second, busy %, free bytes)
 * @param fsync        the last fsync probe of each data directory (name, directory, p50/p99 and the limit, in ms)
 * @param updated      when this status was assembled (epoch milliseconds)
 */
public record HostStatus(
        String host,
        String address,
        String role,
        @JsonProperty("spec_revision") long specRevision,
        boolean converged,
        List<ResourceLine> resources,
        List<ProcessLine> processes,
        Map<String, Object> health,
        List<String> problems,
        List<Map<String, Object>> disk,
        List<Map<String, Object>> fsync,
        List<String> warnings,
        @JsonProperty("last_error") String lastError,
        @JsonProperty("agent_version") String agentVersion,
        @JsonProperty("agent_pid") long agentPid,
        long updated) {

    public record ResourceLine(String id, String status, String message) {
    }

    public record ProcessLine(String name, String state, long pid, int restarts,
                              @JsonProperty("last_exit") String lastExit) {
    }

    /**
     * The part whose change is worth an etcd write at once. Disk figures move with every sample; they travel with
     * the heartbeat (a slow disk shows as a warning, which is significant).
     */
    public HostStatus significant() {
        return new HostStatus(host, address, role, specRevision, converged, resources, processes, steady(health),
                problems, List.of(), List.of(), warnings, lastError, agentVersion, agentPid, 0);
    }

    /** Figures that move all the time (connections, lag, sizes, latency quantiles) removed, at any depth. */
    @SuppressWarnings("unchecked")
    private static <T> T steady(T value) {
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> out = new java.util.LinkedHashMap<>();
            map.forEach((k, v) -> {
                if (!MOVING.contains(String.valueOf(k))) {
                    out.put(String.valueOf(k), steady(v));
                }
            });
            return (T) out;
        }
        if (value instanceof List<?> list) {
            return (T) list.stream().map(HostStatus::steady).toList();
        }
        return value;
    }

    private static final java.util.Set<String> MOVING = java.util.Set.of("connections", "lag_bytes", "wal_bytes",
            "db_bytes", "wal_fsync_p99_ms", "backend_commit_p99_ms");
}
