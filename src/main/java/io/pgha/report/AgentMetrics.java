package io.pgha.report;

import io.pgha.engine.ConvergeRun;
import io.pgha.model.Health;
import io.pgha.model.HostStatus;
import io.pgha.resources.Result;
import io.pgha.resources.Status;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.pgha.model.BackupReport;
import io.pgha.model.EtcdReport;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The agent's figures in Prometheus' text format: converges, changes, restarts, disk, fsync, etcd and Postgres. */
public final class AgentMetrics {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private volatile java.util.function.Supplier<java.util.Optional<java.time.Instant>> certificateNotAfter =
            java.util.Optional::empty;
    private final Counter convergeRuns = Counter.builder().name("pgha_converge_runs")
            .help("Converge passes, by result (converged or failed)").labelNames("result").register(registry);
    private final Counter resourceChanges = Counter.builder().name("pgha_resource_changes")
            .help("Resources the agent changed, by kind").labelNames("kind").register(registry);
    private final Gauge converged = gauge("pgha_converged", "1 when the host is converged to the spec and healthy");
    private final Gauge healthy = gauge("pgha_healthy", "1 when the agent's /health answers 200");
    private final Gauge paused = gauge("pgha_paused", "1 while the cluster is paused (pghactl pause), as this agent"
            + " follows it");
    private final Gauge refusedRevision = gauge("pgha_spec_refused_revision",
            "The newest spec revision this host refused (0: none)");
    private final Gauge patroniTimeline = gauge("pgha_patroni_timeline", "This host's Postgres timeline, as Patroni"
            + " reports it (each failover or switchover starts a new one)");
    private final Gauge patroniPaused = gauge("pgha_patroni_paused", "1 while this host's Patroni says it is paused");
    private final Gauge specRevision = gauge("pgha_spec_revision", "The spec revision last converged");
    private final Gauge processRunning = gauge("pgha_process_running", "1 while a supervised program runs", "process");
    private final Gauge processRestarts = gauge("pgha_process_restarts", "Restarts after a crash", "process");
    private final Gauge diskBusy = gauge("pgha_disk_busy_percent", "Device busy time over wall time", "device");
    private final Gauge diskReadBytes = gauge("pgha_disk_read_bytes_per_second", "Bytes read per second", "device");
    private final Gauge diskWriteBytes = gauge("pgha_disk_write_bytes_per_second", "Bytes written per second", "device");
    private final Gauge diskReads = gauge("pgha_disk_reads_per_second", "Read operations per second", "device");
    private final Gauge diskWrites = gauge("pgha_disk_writes_per_second", "Write operations per second", "device");
    private final Gauge diskFree = gauge("pgha_disk_free_bytes", "Free bytes on the device's file system", "device");
    private final Gauge fsync = gauge("pgha_fsync_latency_milliseconds", "fsync probe latency", "directory",
            "quantile");
    private final Gauge etcdMember = gauge("pgha_etcd_member_healthy", "1 when an etcd member answers healthy", "member");
    private final Gauge etcdDb = gauge("pgha_etcd_db_bytes", "This host's etcd member: database file size", "member");
    private final Gauge etcdDbInUse = gauge("pgha_etcd_db_in_use_bytes", "This host's etcd member: database in use",
            "member");
    private final Gauge etcdQuota = gauge("pgha_etcd_quota_bytes", "This host's etcd member: backend quota", "member");
    private final Gauge etcdIsLeader = gauge("pgha_etcd_is_leader", "1 when this host's etcd member is the raft leader",
            "member");
    private final Gauge etcdTerm = gauge("pgha_etcd_raft_term", "This host's etcd member: raft term", "member");
    private final Gauge etcdApplied = gauge("pgha_etcd_applied_index", "This host's etcd member: applied index",
            "member");
    private final Gauge etcdLastDefrag = gauge("pgha_etcd_last_defrag_timestamp_seconds",
            "When this agent last defragmented a member; 0: never", "member");
    private final Gauge etcdAlarms = gauge("pgha_etcd_alarms", "Alarms raised in the etcd cluster (NOSPACE, CORRUPT)");
    private final Gauge etcdRecoveries = gauge("pgha_etcd_alarm_recoveries", "Alarms this agent recovered");
    private final Gauge pgConnections = gauge("pgha_postgres_connections", "Connections in use");
    private final Gauge pgMaxConnections = gauge("pgha_postgres_max_connections", "max_connections");
    private final Gauge pgLag = gauge("pgha_postgres_replica_lag_bytes", "Replay lag of a replica seen from the leader",
            "replica");
    private final Gauge pgStreaming = gauge("pgha_postgres_streaming", "On a data host that does not lead: 1 while it"
            + " streams from the leader (in the leader's pg_stat_replication as streaming); absent on the leader",
            "member");
    private final Gauge patroniLeader = gauge("pgha_patroni_leader", "1 when this host's Patroni is the leader");
    private final Gauge vipHeld = gauge("pgha_vip_held", "1 while this lb host holds the floating address",
            "address");
    private final Gauge vipFault = gauge("pgha_vip_standing_down",
            "1 while this lb host tells keepalived to give up the floating address (HAProxy unfit)", "address");
    private final Gauge poolerUp = gauge("pgha_pooler_up", "1 while this lb host's PgBouncer console answers");
    private final Gauge poolerClients = gauge("pgha_pooler_clients", "Client connections to this lb host's PgBouncer");
    private final Gauge poolerServers = gauge("pgha_pooler_server_connections",
            "Server connections this lb host's PgBouncer holds open");
    private final Gauge poolerPaused = gauge("pgha_pooler_paused", "1 while PgBouncer is paused for a switchover");
    private final Gauge archiveFailing = gauge("pgha_postgres_archive_failing",
            "1 while the leader's last WAL archiving attempt failed");
    private final Gauge archiveWaiting = gauge("pgha_postgres_archive_waiting_segments",
            "WAL segments ready and not archived yet");
    private final Gauge backupCount = gauge("pgha_backup_count", "Backups in the repository");
    private final Gauge backupNewest = gauge("pgha_backup_newest_timestamp_seconds",
            "When the repository's newest backup was consistent");
    private final Gauge jobOk = gauge("pgha_backup_job_ok", "1 when the last job of a kind (backup, drill) succeeded",
            "kind");
    private final Gauge jobFinished = gauge("pgha_backup_job_finished_timestamp_seconds",
            "When the last job of a kind ended", "kind");
    private final Gauge jobSeconds = gauge("pgha_backup_job_duration_seconds", "How long the last job of a kind took",
            "kind");

    /** The agent's own cost: what its process has used of the CPU, and its resident memory. */
    public AgentMetrics() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory
                .getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean unix) {
            CounterWithCallback.builder().name("pgha_agent_cpu_seconds")
                    .help("CPU time the agent's process has used (user and system)")
                    .callback(c -> c.call(unix.getProcessCpuTime() / 1e9)).register(registry);
        }
        GaugeWithCallback.builder().name("pgha_agent_resident_bytes").help("The agent's resident memory")
                .callback(c -> residentBytes().ifPresent(c::call)).register(registry);
        GaugeWithCallback.builder().name("pgha_certificate_expiry_timestamp_seconds")
                .help("When this host's certificate expires").callback(c -> certificateNotAfter.get()
                        .ifPresent(t -> c.call(t.getEpochSecond()))).register(registry);
    }

    /** Where the host certificate's expiry is read from at each scrape (the agent renews it before then). */
    public void certificateExpiry(java.util.function.Supplier<java.util.Optional<java.time.Instant>> notAfter) {
        this.certificateNotAfter = notAfter;
    }

    /** Resident set size from /proc (Linux): resident pages times 4 KiB (x86-64, and arm64 by default). */
    private static java.util.OptionalDouble residentBytes() {
        try {
            String[] statm = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/statm")).trim()
                    .split("\\s+");
            return java.util.OptionalDouble.of(Long.parseLong(statm[1]) * 4096.0);
        } catch (IOException | RuntimeException e) {
            return java.util.OptionalDouble.empty();
        }
    }

    private Gauge gauge(String name, String help, String... labels) {
        return Gauge.builder().name(name).help(help).labelNames(labels).register(registry);
    }

    public void recordConverge(ConvergeRun run) {
        convergeRuns.labelValues(run.converged() ? "converged" : "failed").inc();
        for (Result r : run.results()) {
            if (r.status() == Status.CHANGED) {
                resourceChanges.labelValues(r.id().substring(0, r.id().indexOf(':'))).inc();
            }
        }
    }

    /** Sets every gauge from the host's current status. */
    public void update(HostStatus s) {
        converged.set(s.converged() ? 1 : 0);
        healthy.set(s.unhealthyReasons().isEmpty() ? 1 : 0);
        paused.set(s.maintenance() != null ? 1 : 0);
        refusedRevision.set(s.refusedRevision());
        specRevision.set(s.specRevision());
        for (HostStatus.ProcessLine p : s.processes()) {
            processRunning.labelValues(p.name()).set(p.running() ? 1 : 0);
            processRestarts.labelValues(p.name()).set(p.restarts());
        }
        for (HostStatus.DiskLine d : s.disk()) {
            set(diskBusy, d.busyPercent(), d.device());
            set(diskReadBytes, d.readBytesPerSecond(), d.device());
            set(diskWriteBytes, d.writeBytesPerSecond(), d.device());
            set(diskReads, d.readsPerSecond(), d.device());
            set(diskWrites, d.writesPerSecond(), d.device());
            set(diskFree, d.freeBytes(), d.device());
        }
        for (HostStatus.FsyncLine f : s.fsync()) {
            set(fsync, f.p50Millis(), f.name(), "0.5");
            set(fsync, f.p99Millis(), f.name(), "0.99");
        }
        Health h = s.health();
        if (h.etcd() != null) {
            h.etcd().members().forEach((m, healthy) -> etcdMember.labelValues(m).set(Boolean.TRUE.equals(healthy) ? 1 : 0));
        }
        EtcdReport.Member m = s.etcd().member();
        if (m != null) {
            etcdDb.labelValues(m.name()).set(m.dbBytes());
            etcdDbInUse.labelValues(m.name()).set(m.dbInUseBytes());
            if (h.etcd() != null && h.etcd().quotaBytes() != null) {
                etcdQuota.labelValues(m.name()).set(h.etcd().quotaBytes());
            }
            etcdIsLeader.labelValues(m.name()).set(m.name().equals(m.leader()) ? 1 : 0);
            etcdTerm.labelValues(m.name()).set(m.raftTerm());
            etcdApplied.labelValues(m.name()).set(m.appliedIndex());
            // 0 until this agent defragments its member: "never", where an absent series would look like no etcd.
            etcdLastDefrag.labelValues(m.name()).set(0);
        }
        s.etcd().defragmentations().forEach(d -> etcdLastDefrag.labelValues(d.member()).set(d.end() / 1000.0));
        etcdAlarms.set(s.etcd().alarms().size());
        etcdRecoveries.set(s.etcd().recoveries().size());
        if (h.patroni() != null) {
            patroniLeader.set(h.patroni().isLeader() ? 1 : 0);
            patroniPaused.set(h.patroni().isPaused() ? 1 : 0);
            set(patroniTimeline, h.patroni().timeline());
            // Labelled by the member so that a leader, which streams from nobody, can drop the series.
            pgStreaming.clear();
            if (!h.patroni().isLeader()) {
                // Also 0 while Postgres or Patroni here does not answer: a stopped replica streams nothing.
                pgStreaming.labelValues(s.host()).set(h.postgres() != null && h.postgres().isStreaming() ? 1 : 0);
            }
        }
        if (h.vip() != null) {
            vipHeld.labelValues(h.vip().address()).set(h.vip().held() ? 1 : 0);
            vipFault.labelValues(h.vip().address()).set(h.vip().fault() != null ? 1 : 0);
        }
        if (h.pooler() != null) {
            poolerUp.set(h.pooler().answering() ? 1 : 0);
            set(poolerClients, h.pooler().clients());
            set(poolerServers, h.pooler().servers());
            poolerPaused.set(h.pooler().paused() != null ? 1 : 0);
        }
        if (h.postgres() != null) {
            set(pgConnections, h.postgres().connections());
            set(pgMaxConnections, h.postgres().maxConnections());
            if (h.postgres().replicas() != null) {
                // A replica gone from pg_stat_replication must not keep its last lag.
                pgLag.clear();
                h.postgres().replicas().forEach(r -> set(pgLag, r.lagBytes(), r.name()));
            }
            Health.Archive a = h.postgres().archive();
            if (a != null) {
                archiveFailing.set(Boolean.TRUE.equals(a.failing()) ? 1 : 0);
                set(archiveWaiting, a.waiting());
            }
        }
        BackupReport b = s.backup();
        if (b != null) {
            backupCount.set(b.backups().size());
            b.latest().ifPresent(x -> backupNewest.set(x.stop()));
            for (BackupReport.Job j : b.jobs()) {
                if (j.done()) {
                    jobOk.labelValues(j.kind()).set(j.state().equals(BackupReport.Job.OK) ? 1 : 0);
                    jobFinished.labelValues(j.kind()).set(j.finished() / 1000.0);
                    jobSeconds.labelValues(j.kind()).set(j.seconds(0));
                }
            }
        }
    }

    /** Figures a probe could not read are absent (null) and leave the gauge as it was. */
    private static void set(Gauge gauge, Number value, String... labels) {
        if (value != null) {
            gauge.labelValues(labels).set(value.doubleValue());
        }
    }

    public String scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            PrometheusTextFormatWriter.create().write(out, registry.scrape(), EscapingScheme.UNDERSCORE_ESCAPING);
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory", e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Every metric this registry exposes, by the name a query uses (a counter's with its _total). */
    public java.util.Set<String> names() {
        java.util.Set<String> names = new java.util.TreeSet<>();
        for (MetricSnapshot m : registry.scrape()) {
            String name = m.getMetadata().getPrometheusName();
            names.add(m instanceof CounterSnapshot ? name + "_total" : name);
        }
        return names;
    }

    public static String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }
}
