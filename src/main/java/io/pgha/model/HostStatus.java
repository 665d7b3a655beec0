package io.pgha.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import java.util.Objects;

/**
 * What an agent tells the cluster about its host, stored as JSON under {@code /pgha/<cluster>/hosts/<host>/status}.
 * Written and read only through this record. Never carries a secret. README's "What each host reports" shows one.
 *
 * @param schema       the version of this layout ({@link #SCHEMA}); a reader skips fields it does not know
 * @param role         the host's roles as one word, in component order: "data", or "etcd+data" on a host with several
 * @param specRevision the spec generation last converged (0 before the first)
 * @param converged    the last converge under that spec left every resource as desired, and the host is healthy
 * @param specState    {@link #APPLIED} when everything that revision asks of this host is in effect, as read back
 *                     from the engines; {@link #PENDING} while something is not yet (see {@code pending}); {@link
 *                     #FAILED} when the last pass failed (see {@code last_error}); always of {@code spec_revision}
 * @param pending      what is not in effect yet, and what each waits for
 * @param problems     why the host is not healthy, from the probes (empty when healthy)
 * @param disk         I/O of the devices under the roles' data directories
 * @param fsync        the last fsync probe of each data directory
 * @param updated      when this status was assembled (epoch milliseconds)
 * @param secretsRevision the generation of the cluster secrets in effect here (a data host: its patroni.yml, and on
 *                     the leader the roles' passwords; 0 on a host that needs no secret)
 * @param etcd         etcd as this agent sees it: endpoints, its member's figures, alarms, defragmentations it ran
 * @param backup       pgBackRest on this host: the repository's backups and the jobs run (absent where none ran)
 * @param refusedRevision the newest spec generation this host refused (it does not parse or validate here; the
 *                     reason is in {@code last_error}), 0 when none: the host stays at {@code spec_revision}
 * @param maintenance  the cluster's pause as this agent follows it (absent while the cluster runs normally)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record HostStatus(
        int schema,
        String host,
        String address,
        String role,
        @JsonProperty("spec_revision") long specRevision,
        boolean converged,
        @JsonProperty("spec_state") String specState,
        List<Pending> pending,
        List<ResourceLine> resources,
        List<ProcessLine> processes,
        Health health,
        List<String> problems,
        List<DiskLine> disk,
        List<FsyncLine> fsync,
        List<String> warnings,
        @JsonProperty("last_error") String lastError,
        @JsonProperty("agent_version") String agentVersion,
        @JsonProperty("agent_pid") long agentPid,
        long updated,
        @JsonProperty("secrets_revision") long secretsRevision,
        EtcdReport etcd,
        @JsonInclude(JsonInclude.Include.NON_NULL) BackupReport backup,
        @JsonProperty("refused_revision") long refusedRevision,
        @JsonInclude(JsonInclude.Include.NON_NULL) Maintenance maintenance) {

    public static final int SCHEMA = 1;
    public static final String APPLIED = "applied";
    public static final String PENDING = "pending";
    public static final String FAILED = "failed";
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, false);

    public HostStatus {
        specState = Objects.requireNonNullElse(specState, PENDING);
        pending = List.copyOf(Objects.requireNonNullElse(pending, List.of()));
        resources = List.copyOf(Objects.requireNonNullElse(resources, List.of()));
        processes = List.copyOf(Objects.requireNonNullElse(processes, List.of()));
        health = Objects.requireNonNullElse(health, Health.NONE);
        problems = List.copyOf(Objects.requireNonNullElse(problems, List.of()));
        disk = List.copyOf(Objects.requireNonNullElse(disk, List.of()));
        fsync = List.copyOf(Objects.requireNonNullElse(fsync, List.of()));
        warnings = List.copyOf(Objects.requireNonNullElse(warnings, List.of()));
        role = Objects.requireNonNullElse(role, "");
        lastError = Objects.requireNonNullElse(lastError, "");
        etcd = Objects.requireNonNullElse(etcd, EtcdReport.NONE);
    }

    /** A status that refused no spec, of a cluster not paused. */
    public HostStatus(int schema, String host, String address, String role, long specRevision, boolean converged,
                      String specState, List<Pending> pending, List<ResourceLine> resources,
                      List<ProcessLine> processes, Health health, List<String> problems, List<DiskLine> disk,
                      List<FsyncLine> fsync, List<String> warnings, String lastError, String agentVersion,
                      long agentPid, long updated, long secretsRevision, EtcdReport etcd, BackupReport backup) {
        this(schema, host, address, role, specRevision, converged, specState, pending, resources, processes, health,
                problems, disk, fsync, warnings, lastError, agentVersion, agentPid, updated, secretsRevision, etcd,
                backup, 0, null);
    }

    /** The spec state, and the newer revision refused if any: "applied", "applied, 1132 refused". */
    public String specStateText() {
        return specState + (refusedRevision == 0 ? "" : ", " + refusedRevision + " refused");
    }

    /** What applying one resource did; {@code status} is ok, changed, failed or skipped. */
    public record ResourceLine(String id, String status, String message) {
    }

    /** A supervised program; {@code state} is running, backoff or stopped. */
    public record ProcessLine(String name, String state, long pid, int restarts,
                              @JsonProperty("last_exit") String lastExit) {
        public static final String RUNNING = "running";
        public static final String BACKOFF = "backoff";
        public static final String STOPPED = "stopped";

        public boolean running() {
            return RUNNING.equals(state);
        }
    }

    /** The device under a role's data directory; the rates are absent until two samples exist. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record DiskLine(String name, String path, String device,
                           @JsonProperty("reads_per_s") Double readsPerSecond,
                           @JsonProperty("writes_per_s") Double writesPerSecond,
                           @JsonProperty("read_bytes_per_s") Long readBytesPerSecond,
                           @JsonProperty("write_bytes_per_s") Long writeBytesPerSecond,
                           @JsonProperty("busy_pct") Double busyPercent,
                           Long queue,
                           @JsonProperty("free_bytes") long freeBytes,
                           @JsonProperty("total_bytes") long totalBytes) {
    }

    /** The last fsync probe of a data directory, against the spec's limit, in milliseconds. */
    public record FsyncLine(String name, String directory, @JsonProperty("p50_ms") double p50Millis,
                            @JsonProperty("p99_ms") double p99Millis, @JsonProperty("limit_ms") double limitMillis) {
    }

    /** Why the host is not healthy (its /health answers 503 with these); empty when it is. */
    public List<String> unhealthyReasons() {
        List<String> reasons = new java.util.ArrayList<>();
        if (!lastError.isEmpty()) {
            reasons.add(lastError);
        }
        reasons.addAll(problems);
        processes.stream().filter(p -> !p.running())
                .forEach(p -> reasons.add(p.name() + " is " + p.state() + " (" + p.lastExit() + ")"));
        if (!converged && reasons.isEmpty()) {
            reasons.add(specRevision == 0 ? "no spec converged yet" : "converging spec rev " + specRevision);
        }
        return reasons;
    }

    public boolean applied() {
        return APPLIED.equals(specState);
    }

    public boolean has(Role r) {
        return List.of(role.split("\\+")).contains(r.id());
    }

    /** Patroni's state, role and timeline as this host read them, with the agent's last error: for waits' messages. */
    public String describePatroni() {
        Health.Patroni p = health == null ? null : health.patroni();
        return (p == null ? "no Patroni health yet" : "Patroni " + p.state() + (p.role() == null ? "" : " " + p.role())
                + (p.timeline() == null ? "" : " timeline " + p.timeline()))
                + (lastError.isEmpty() ? "" : "; last error " + lastError);
    }

    /** This host's status line for the resource {@code id}, if it reported one. */
    public java.util.Optional<ResourceLine> resource(String id) {
        return resources.stream().filter(r -> r.id().equals(id)).findFirst();
    }

    /**
     * The part whose change is worth an etcd write at once. Disk figures and moving health figures (connections,
     * lag, sizes, latencies) travel with the heartbeat; a slow disk shows as a warning, which is significant.
     */
    public HostStatus significant() {
        return new HostStatus(schema, host, address, role, specRevision, converged, specState, pending, resources,
                processes,
                health.steady(), problems, List.of(), List.of(), warnings, lastError, agentVersion, agentPid, 0, secretsRevision,
                etcd.steady(), backup, refusedRevision, maintenance);
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a status is plain data", e);
        }
    }

    /** A status as JSON: the form etcd keeps it in and the agent's API serves. */
    public static final TextForm<HostStatus> TEXT = TextForm.of(HostStatus::toJson, HostStatus::fromJson);

    /** Reads a stored status; fails with the parser's reason on anything that is not one. */
    public static HostStatus fromJson(String json) throws IOException {
        HostStatus status = JSON.readValue(json, HostStatus.class);
        if (status == null || status.host() == null || status.host().isEmpty()) {
            throw new IOException("expected a host status object with a 'host' field");
        }
        return status;
    }
}
