package io.pgha.backup;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.EtcdAdmin;
import io.pgha.dcs.PhaseDriver;
import io.pgha.model.BackupReport;
import io.pgha.model.ClusterRestore;
import io.pgha.model.ClusterSpec;
import io.pgha.model.Health;
import io.pgha.model.HostRequest;
import io.pgha.model.HostStatus;
import io.pgha.model.LeaderChange;
import io.pgha.model.Role;
import io.pgha.postgres.LeaderChangeLog;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The whole cluster restored to a point in time, step by step, each step waited for on every data host as its status
 * reads it back: every Patroni stopped and every data directory set aside (kept); Patroni's keys removed; Patroni
 * started with a bootstrap from the backup set on one member, which restores and promotes at the target; once its
 * new timeline is archived, the others built from the same set; a full backup of the restored cluster; the usual
 * configuration back.
 */
public final class WholeClusterRestore {
    private final EtcdAdmin admin;
    private final ClusterSpec cluster;
    private final HostJob jobs;
    private final PhaseDriver driver;
    private final LeaderChangeLog changes;

    /** What pghactl does to the restored leader besides asking its agent. */
    public interface Leader {
        /** Ends the leader's WAL segment and waits for its archiving: what it wrote until now is in the repository. */
        void archiveUpTo() throws Exception;

        /** Restarts Postgres on {@code host} through its Patroni, and fails unless no restart is pending after. */
        void restart(String host) throws Exception;
    }

    /** What came of it: the new leader, its timeline, the backup taken after, the directories kept per host. */
    public record Outcome(String leader, long timeline, String backup, Map<String, String> kept, double seconds) {
    }

    public WholeClusterRestore(Dcs dcs, EtcdAdmin admin, ClusterSpec cluster, HostJob jobs, PrintWriter notes, Duration timeout) {
        this.admin = admin;
        this.cluster = cluster;
        this.jobs = jobs;
        this.driver = new PhaseDriver(dcs, notes, timeout, "The restore stays where it is (pghactl status shows each"
                + " host)");
        this.changes = LeaderChangeLog.into(dcs, why -> notes.println("note: " + why));
    }

    /**
     * The backup set a restore to {@code at} starts from: the newest that ended at or before it (the newest of all
     * for the end of the archive).
     */
    public static Optional<BackupReport.BackupSet> setFor(List<BackupReport.BackupSet> backups, Optional<Instant> at) {
        return backups.stream().filter(b -> at.isEmpty() || !Instant.ofEpochSecond(b.stop()).isAfter(at.get()))
                .reduce((older, newer) -> newer);
    }

    public Outcome run(ClusterRestore restore, String repositoryHost, Leader leader) throws Exception {
        List<String> data = cluster.hostsWith(Role.DATA).stream().map(ClusterSpec.Host::name).toList();
        Map<String, HostStatus> before = driver.statuses();
        List<String> silent = data.stream().filter(h -> !before.containsKey(h)).toList();
        if (!silent.isEmpty()) {
            throw new IOException("every data host's agent must take part, but " + silent + " report no status:"
                    + " start their agents, or take them out of the spec first (pghactl apply)");
        }
        long oldTimeline = before.values().stream().map(s -> s.health().patroni())
                .filter(p -> p != null && p.isLeader() && p.timeline() != null)
                .mapToLong(Health.Patroni::timeline).max().orElse(0);
        // The member to restore: the leader of now (its disk has kept up), else the spec's first data host.
        String first = data.stream().filter(h -> Optional.ofNullable(before.get(h).health().patroni())
                .map(Health.Patroni::isLeader).orElse(false)).findFirst().orElse(data.get(0));
        List<String> others = data.stream().filter(h -> !h.equals(first)).toList();

        driver.note("stopping Patroni and setting the data directories aside on " + String.join(", ", data));
        driver.ask(data, restore.in(ClusterRestore.STOP).request());
        Map<String, String> kept = new LinkedHashMap<>();
        driver.await("every data host stopped and its data directory set aside", data, s -> {
            Optional<HostStatus.ResourceLine> aside = s.resource(restore.resourceId());
            boolean patroniStopped = s.processes().stream().noneMatch(p -> p.name().equals("patroni") && p.running());
            if (aside.isEmpty() || aside.get().status().equals("failed") || !patroniStopped) {
                return Optional.of(aside.map(r -> r.status() + ": " + r.message()).orElse(patroniStopped
                        ? "not started on it" : "patroni still running") + (s.lastError().isEmpty() ? ""
                        : "; last error " + s.lastError()));
            }
            // "moved <data> to <kept>", or "kept in <kept>" on the passes after.
            String message = aside.get().message();
            if (!message.isEmpty()) {
                kept.put(s.host(), message.substring(message.lastIndexOf(' ') + 1));
            }
            return Optional.empty();
        });

        long deleted = admin.deletePatroniKeys();
        driver.note("removed Patroni's " + deleted + " keys of " + cluster.cluster() + "; bootstrapping from backup "
                + restore.set());
        // One member first: the others are built once its new timeline's history is in the repository. Started
        // together, a replica could fetch the old timeline's WAL past the target before the history file is
        // archived, and replay its way off the restored cluster's timeline for good.
        driver.ask(List.of(first), restore.in(ClusterRestore.BOOTSTRAP).request());
        long[] timeline = {0};
        driver.await(first + " restored to the target and leading on a new timeline", List.of(first), s -> {
            Health.Patroni p = s.health().patroni();
            if (p != null && p.isLeader() && "running".equals(p.state()) && p.timeline() != null
                    && p.timeline() > oldTimeline && !inStop(s, restore)) {
                timeline[0] = p.timeline();
                return Optional.empty();
            }
            return Optional.of(s.describePatroni());
        });
        // Patroni 4 ran the recovery with hot_standby off and leaves its settings for a restart; restarted now, before
        // it has replicas, not later by the agent's rolling restart through a switchover.
        leader.restart(first);
        leader.archiveUpTo();
        driver.note(first + " leads on timeline " + timeline[0] + ", restarted and archived; building "
                + String.join(", ", others) + " from backup " + restore.set());
        driver.ask(others, restore.in(ClusterRestore.BOOTSTRAP).request());
        driver.await("every replica built from the backup and streaming", others, s -> {
            Health.Patroni p = s.health().patroni();
            boolean streaming = p != null && "running".equals(p.state()) && !p.isLeader()
                    && Long.valueOf(timeline[0]).equals(p.timeline()) && s.health().postgres() != null
                    && s.health().postgres().isStreaming() && !inStop(s, restore);
            return streaming ? Optional.empty() : Optional.of(s.describePatroni());
        });

        driver.note("taking a full backup of the restored cluster on " + repositoryHost);
        String id = jobs.ask(repositoryHost, HostRequest.BACKUP, "full", "");
        BackupReport.Job backup = jobs.await(repositoryHost, id, driver.remaining());
        if (!backup.state().equals(BackupReport.Job.OK)) {
            throw new IOException("the cluster is restored and runs, but its full backup failed on " + repositoryHost
                    + ": " + backup.detail() + " (pghactl backup run --type full, before any replica is rebuilt)");
        }

        driver.ask(data, restore.in(ClusterRestore.DONE).request());
        driver.await("every data host back on its usual configuration", data, s -> {
            boolean inRestore = s.warnings().stream().anyMatch(w -> w.contains(restore.describe()));
            return !inRestore && s.applied() ? Optional.empty()
                    : Optional.of(inRestore ? "still in the restore's configuration" : "spec " + s.specState());
        });
        changes.record(new LeaderChange(LeaderChange.RESTORE, "", first, System.currentTimeMillis(), "pghactl",
                restore.describe(), timeline[0]));
        return new Outcome(first, timeline[0], backup.detail(), kept, driver.seconds());
    }

    private static boolean inStop(HostStatus s, ClusterRestore restore) {
        return s.resource(restore.resourceId()).isPresent();
    }
}
