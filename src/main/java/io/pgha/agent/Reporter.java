package io.pgha.agent;

import io.pgha.model.BackupReport;
import io.pgha.model.ClusterSpec;
import io.pgha.model.HostIdentity;
import io.pgha.model.HostStatus;
import io.pgha.model.Pending;
import io.pgha.model.Role;
import io.pgha.probe.Colocation;
import io.pgha.probe.DiskSampler;
import io.pgha.report.AgentMetrics;
import io.pgha.report.StatusLine;
import io.pgha.report.StatusPublisher;
import io.pgha.resources.Result;
import io.pgha.roles.HostRoles;
import io.pgha.supervise.ProcessState;
import io.pgha.supervise.Supervisor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Keeps the loop's last state and the probes' last findings, assembles the host's typed status from both whenever
 * either changes, and hands it to everyone who shows it: the HTTP endpoint, the metrics, systemd's status line and
 * the publisher. Assembling waits on nothing (no etcd, no program stopping).
 */
final class Reporter {
    private final HostIdentity identity;
    private final String version;
    private final Supervisor supervisor;
    private final FsyncResults fsync;
    private final EtcdOutage outage;
    private final AgentMetrics metrics;
    private final SystemdNotifier systemd;
    private final StatusPublisher publisher;
    private volatile HostStatus latest;
    private volatile AgentState state;
    private Probes probes = Probes.NONE;
    private Optional<BackupReport> backup = Optional.empty();

    Reporter(HostIdentity identity, String version, Supervisor supervisor, FsyncResults fsync,
             EtcdOutage outage, AgentMetrics metrics, SystemdNotifier systemd, StatusPublisher publisher) {
        this.identity = identity;
        this.version = version;
        this.supervisor = supervisor;
        this.fsync = fsync;
        this.outage = outage;
        this.metrics = metrics;
        this.systemd = systemd;
        this.publisher = publisher;
    }

    /** The status last assembled, for /health and /status; null before the first. */
    HostStatus latest() {
        return latest;
    }

    /** The loop's last state, for the prober; null before the loop has one. */
    AgentState state() {
        return state;
    }

    /** The loop's state after a cycle or an event. */
    synchronized void onState(AgentState next) {
        state = next;
        report();
    }

    /** The probes' findings after a tick. */
    synchronized void onProbes(Probes next) {
        probes = next;
        if (state != null) {
            report();
        }
    }

    /** The backup worker's report after a job or a repository read; empty on a host that runs no backup jobs. */
    synchronized void onBackup(Optional<BackupReport> next) {
        if (next.equals(backup)) {
            return;
        }
        backup = next;
        if (state != null) {
            report();
        }
    }

    private void report() {
        HostStatus status = assemble(state, probes);
        latest = status;
        metrics.update(status);
        // Shown even with etcd down: systemd then still tells what the host is doing.
        systemd.update(StatusLine.of(status), state.lastRun().isPresent());
        publisher.offer(status);
    }

    private HostStatus assemble(AgentState s, Probes probes) {
        List<HostStatus.ResourceLine> resources = new ArrayList<>();
        s.lastRun().ifPresent(run -> {
            for (Result r : run.results()) {
                resources.add(new HostStatus.ResourceLine(r.id(), r.status().id(), r.message()));
            }
        });
        List<HostStatus.ProcessLine> processes = new ArrayList<>();
        for (ProcessState p : supervisor.states()) {
            processes.add(new HostStatus.ProcessLine(p.name(), p.state(), p.pid(), p.restarts(), p.lastExit()));
        }
        // Health counts once the probes have looked at the roles of now, not merely because nothing was probed.
        boolean probed = s.roles().isEmpty()
                || (probes.roles().equals(s.roles()) && !probes.health().health().isEmpty());
        boolean converged = s.lastRun().map(r -> r.converged()).orElse(false) && s.specError().isEmpty()
                && s.followedRevision() != 0 && s.appliedRevision() == s.followedRevision()
                && processes.stream().allMatch(HostStatus.ProcessLine::running)
                && probed && probes.health().problems().isEmpty();
        // Compared with the spec of now; findings against an older spec say nothing about this one.
        List<Pending> pending = probes.revision() == s.followedRevision() ? probes.health().pending() : List.of();
        String specState = specState(s, probes, probed, processes, pending);
        Optional<String> etcdOutage = outage.describe();
        String error = !s.specError().isEmpty() ? s.specError() : !s.convergeError().isEmpty() ? s.convergeError()
                : etcdOutage.orElse("");
        List<String> warnings = new ArrayList<>(s.warnings());
        if (etcdOutage.isPresent()) {
            // Not "waiting for the spec": the spec may well be there, behind the outage.
            warnings.remove(HostRoles.WAITING_FOR_SPEC);
        }
        warnings.addAll(Colocation.warnings(probes.disk()));
        ClusterSpec.Disk policy = s.diskPolicy();
        warnings.addAll(fsync.warnings(policy, s.probedRoles()));
        backup.ifPresent(b -> warnings.addAll(b.warnings()));
        return new HostStatus(HostStatus.SCHEMA, identity.name(), identity.address(), Role.join(s.roles()),
                s.appliedRevision(), converged, specState, pending, resources, processes, probes.health().health(),
                probes.health().problems(), diskLines(probes.disk()), fsync.lines(policy, s.probedRoles()), warnings,
                error, version, ProcessHandle.current().pid(), System.currentTimeMillis(), s.secretsRevision(),
                s.etcd(), backup.orElse(null), s.refusedRevision(), s.maintenance().orElse(null));
    }

    /**
     * "applied" only when the pass for the spec followed now is done, every program runs, and the probes read back,
     * for that very spec, that nothing is pending; "failed" while its pass failed. A newer spec refused leaves the
     * state of the one followed as it is: the status names the refused revision beside it.
     */
    private static String specState(AgentState s, Probes probes, boolean probed,
                                    List<HostStatus.ProcessLine> processes, List<Pending> pending) {
        if (!s.convergeError().isEmpty() || s.lastRun().map(r -> !r.converged()).orElse(false)) {
            return HostStatus.FAILED;
        }
        boolean inEffect = s.followedRevision() != 0 && s.appliedRevision() == s.followedRevision()
                && probes.revision() == s.followedRevision() && probed && pending.isEmpty()
                && processes.stream().allMatch(HostStatus.ProcessLine::running);
        return inEffect ? HostStatus.APPLIED : HostStatus.PENDING;
    }

    private static List<HostStatus.DiskLine> diskLines(Map<String, DiskSampler.Report> disk) {
        List<HostStatus.DiskLine> lines = new ArrayList<>();
        disk.forEach((name, r) -> lines.add(new HostStatus.DiskLine(name, r.path().toString(), r.device(),
                r.rates().map(x -> round(x.readsPerSecond())).orElse(null),
                r.rates().map(x -> round(x.writesPerSecond())).orElse(null),
                r.rates().map(x -> Math.round(x.readBytesPerSecond())).orElse(null),
                r.rates().map(x -> Math.round(x.writeBytesPerSecond())).orElse(null),
                r.rates().map(x -> round(x.busyPercent())).orElse(null),
                r.rates().map(x -> (long) x.queueLength()).orElse(null),
                r.freeBytes(), r.totalBytes())));
        return lines;
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
