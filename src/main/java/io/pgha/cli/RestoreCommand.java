package io.pgha.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgha.backup.HostJob;
import io.pgha.backup.WholeClusterRestore;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.EtcdDcs;
import io.pgha.dcs.StoredSpec;
import io.pgha.dcs.Versioned;
import io.pgha.model.AgentConfig;
import io.pgha.model.BackupReport;
import io.pgha.model.ClusterRestore;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.ClusterSpec;
import io.pgha.model.Health;
import io.pgha.model.HostRequest;
import io.pgha.model.HostStatus;
import io.pgha.model.Role;
import io.pgha.postgres.PatroniClient;
import io.pgha.postgres.PatroniConfig;
import io.pgha.postgres.PostgresProbe;
import io.pgha.runtime.Installation;
import java.io.IOException;
import java.io.PrintWriter;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

@Command(name = "restore", mixinStandardHelpOptions = true,
        description = {"Bring up a standalone copy of the cluster restored from the backup repository, to a point in"
                + " time or to the newest WAL archived, for inspection: the running cluster is not touched. The copy"
                + " runs on a spare host or the repository host, listens on its address over TLS with the spec's"
                + " client rules, and has the cluster's roles and passwords as they were then.",
                "With --cluster, restore the cluster itself: every data host's Patroni stops, its data directory is"
                + " set aside (kept), the first member restores and promotes at the target, the others are built"
                + " from the same backup, and the repository takes a full backup of the restored cluster."})
final class RestoreCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** As psql prints a timestamptz (2026-11-27 23:10:00.123456+01), or with a colon in the offset. */
    private static final DateTimeFormatter SPACED = DateTimeFormatter.ofPattern(
            "yyyy-MM-dd HH:mm:ss[.SSSSSS][.SSS][XXX][X]");
    private static final Duration ARCHIVE_WAIT = Duration.ofSeconds(60);

    @CommandLine.ParentCommand
    CtlMain ctl;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.ArgGroup(multiplicity = "1")
    Target target;

    static final class Target {
        @Option(names = "--time", paramLabel = "TIME", required = true,
                description = "the point in time, with its zone: 2026-11-27T22:10:00Z, 2026-11-27 23:10:00+01:00")
        String time;

        @Option(names = "--latest", required = true, description = "everything archived, up to now")
        boolean latest;

        @Option(names = "--remove", required = true, description = "stop and remove the restored copy")
        boolean remove;
    }

    @Option(names = "--host", paramLabel = "HOST",
            description = "where the copy runs: a spare host (no role in the spec; the first is the default) or the"
                    + " repository host (the default without spares)")
    String host;

    @Option(names = "--cluster", description = "restore the running cluster itself (stops it; asks for --yes)")
    boolean wholeCluster;

    @Option(names = "--yes", description = "with --cluster: yes, stop the cluster and restore it")
    boolean yes;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "3600",
            description = "how long to wait for the copy, or for the whole cluster's restore (default:"
                    + " ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Option(names = "--json", description = "where the copy runs, as JSON: host, address, port, target, seconds (with"
            + " --cluster: leader, timeline, set, backup, kept, target, seconds)")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Optional<Instant> at = Optional.empty();
        if (target.time != null) {
            try {
                at = Optional.of(parseTime(target.time));
            } catch (DateTimeParseException e) {
                CtlMain.err(spec).println("--time: expected a time with its zone, such as 2026-11-27T22:10:00Z or"
                        + " 2026-11-27 23:10:00+01:00, found '" + target.time + "'");
                return CtlMain.BAD_INPUT;
            }
            if (at.get().isAfter(Instant.now())) {
                CtlMain.err(spec).println("--time: " + at.get() + " is in the future (now " + Instant.now()
                        + "); --latest restores everything archived");
                return CtlMain.BAD_INPUT;
            }
        }
        if (wholeCluster && (target.remove || host != null)) {
            CtlMain.err(spec).println("--cluster: restores the cluster's own data hosts; expected no "
                    + (target.remove ? "--remove" : "--host") + " with it");
            return CtlMain.BAD_INPUT;
        }
        AgentConfig agent = ctl.agentConfig();
        PrintWriter out = CtlMain.out(spec);
        try (EtcdDcs dcs = ctl.dcs(agent)) {
            ClusterSpec cluster = StoredSpec.read(dcs, agent);
            ClusterSpec.Host repository = BackupCommand.repositoryHost(cluster);
            List<String> candidates = new ArrayList<>(cluster.hosts().values().stream()
                    .filter(h -> h.roles().isEmpty()).map(ClusterSpec.Host::name).toList());
            candidates.add(repository.name());
            String onto = host != null ? host : candidates.get(0);
            if (!candidates.contains(onto)) {
                CtlMain.err(spec).println("--host: expected a spare host (no role) or the repository host, one of "
                        + candidates + ", found '" + host + "'");
                return CtlMain.BAD_INPUT;
            }
            HostJob jobs = new HostJob(dcs);
            long start = System.nanoTime();
            if (target.remove) {
                BackupReport.Job job = jobs.await(onto, jobs.ask(onto, HostRequest.REMOVE, "", ""),
                        Duration.ofSeconds(120));
                out.println(onto + ": " + job.state() + ": " + job.detail());
                return job.state().equals(BackupReport.Job.OK) ? CtlMain.OK : CtlMain.FAILURE;
            }
            BackupReport report = jobs.status(repository.name()).map(HostStatus::backup).orElseThrow(() ->
                    new IOException(repository.name() + " reports no backup repository yet (pghactl status)"));
            if (report.backups().isEmpty()) {
                throw new IOException("the repository holds no backup yet (pghactl backup run takes one)");
            }
            BackupReport.BackupSet oldest = report.backups().get(0);
            if (at.isPresent() && at.get().isBefore(Instant.ofEpochSecond(oldest.stop()))) {
                CtlMain.err(spec).println("--time: " + at.get() + " is before the oldest backup ends ("
                        + oldest.label() + ", consistent from " + Instant.ofEpochSecond(oldest.stop())
                        + "): nothing in the repository restores to it");
                return CtlMain.BAD_INPUT;
            }
            if (wholeCluster) {
                return restoreCluster(dcs, cluster, jobs, repository.name(), report, at, out);
            }
            archiveUpTo(dcs, cluster);
            String id = jobs.ask(onto, HostRequest.RESTORE, "", at.map(Instant::toString).orElse(""));
            BackupReport.Job job = jobs.await(onto, id, Duration.ofSeconds(timeoutSeconds));
            double seconds = (System.nanoTime() - start) / 1e9;
            if (!job.state().equals(BackupReport.Job.OK)) {
                CtlMain.err(spec).println("restore on " + onto + " failed: " + job.detail());
                return CtlMain.FAILURE;
            }
            if (json) {
                ObjectNode n = JSON.createObjectNode().put("host", onto).put("address", job.address())
                        .put("port", job.port()).put("target", at.map(Instant::toString).orElse("latest"))
                        .put("seconds", Math.round(seconds * 10) / 10.0);
                out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n));
            } else {
                out.printf(Locale.ROOT, "restored %s to %s on %s in %.1f s: %s%n", cluster.cluster(),
                        at.map(Instant::toString).orElse("the newest WAL archived"), onto, seconds,
                        job.detail());
                out.println("connect: psql \"host=" + job.address() + " port=" + job.port() + " user=postgres"
                        + " sslmode=require\" (the cluster's passwords as they were then)");
                out.println("remove:  " + Installation.ctl() + " restore --remove --host " + onto);
            }
            return CtlMain.OK;
        }
    }

    private int restoreCluster(EtcdDcs dcs, ClusterSpec cluster, HostJob jobs, String repository, BackupReport report,
                               Optional<Instant> at, PrintWriter out) throws Exception {
        BackupReport.BackupSet set = WholeClusterRestore.setFor(report.backups(), at).orElseThrow();
        String target = at.map(Instant::toString).orElse("the end of the archive");
        List<String> data = cluster.hostsWith(Role.DATA).stream().map(ClusterSpec.Host::name).toList();
        if (!yes) {
            CtlMain.err(spec).println("--cluster stops the running cluster (" + String.join(", ", data) + ") and"
                    + " restores it to " + target + " from backup " + set.label() + "; each data directory is set"
                    + " aside and kept. Say --yes to go ahead.");
            return CtlMain.BAD_INPUT;
        }
        archiveUpTo(dcs, cluster);
        ClusterRestore restore = new ClusterRestore(ClusterRestore.ID.format(Instant.now()), ClusterRestore.STOP,
                at.map(Instant::toString).orElse(""), set.label());
        WholeClusterRestore.Outcome done = new WholeClusterRestore(dcs, dcs.admin(), cluster, jobs, CtlMain.err(spec),
                Duration.ofSeconds(timeoutSeconds)).run(restore, repository, new WholeClusterRestore.Leader() {
                    @Override
                    public void archiveUpTo() throws Exception {
                        RestoreCommand.this.archiveUpTo(dcs, cluster);
                    }

                    @Override
                    public void restart(String host) throws Exception {
                        PatroniClient patroni = new PatroniClient(cluster.host(host).orElseThrow().address(),
                                ClusterSpec.PATRONI_PORT, Duration.ofSeconds(120), CtlMain.adminTls(ctl.agentConfig())
                                .sslContext(), dcs.secrets().orElseThrow().value()
                                .get("patroni_rest").orElseThrow());
                        // Patroni takes the leader key once its bootstrap is done, and refuses a restart before.
                        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                        while (!patroni.leader().map(PatroniClient.ClusterMember::name).orElse("").equals(host)) {
                            if (System.nanoTime() > deadline) {
                                throw new IOException("Patroni on " + host + " did not take the leader key within"
                                        + " 120 s of leading: its bootstrap did not end");
                            }
                            Thread.sleep(500);
                        }
                        patroni.restart();
                        if (patroni.member().pendingRestart()) {
                            throw new IOException("Patroni on " + host + " restarted Postgres, but a restart is still"
                                    + " pending");
                        }
                    }
                });
        if (json) {
            ObjectNode n = JSON.createObjectNode().put("leader", done.leader()).put("timeline", done.timeline())
                    .put("set", set.label()).put("backup", done.backup())
                    .put("target", at.map(Instant::toString).orElse("latest"))
                    .put("seconds", Math.round(done.seconds() * 10) / 10.0);
            ObjectNode kept = n.putObject("kept");
            done.kept().forEach(kept::put);
            out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n));
        } else {
            out.printf(Locale.ROOT, "restored cluster %s to %s from backup %s in %.1f s: %s leads on timeline %d;"
                    + " %s%n", cluster.cluster(), target, set.label(), done.seconds(), done.leader(), done.timeline(),
                    done.backup());
            done.kept().forEach((h, path) -> out.println("kept on " + h + ": " + path + " (the data before the"
                    + " restore; remove it when no longer needed)"));
        }
        return CtlMain.OK;
    }

    static Instant parseTime(String text) {
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            return OffsetDateTime.parse(text, SPACED).toInstant();
        }
    }

    /**
     * What was committed up to now is archived once the segment holding it is: the leader's current
     * segment is ended and its archiving waited for. Without it, a restore to a moment ago would miss the last
     * commits (Postgres archives a segment only when it is full or switched).
     */
    private void archiveUpTo(Dcs dcs, ClusterSpec cluster) throws Exception {
        Optional<String> leader = Optional.empty();
        for (HostStatus s : dcs.hostStatuses().readable().values()) {
            Health.Patroni p = s.health().patroni();
            if (s.has(Role.DATA) && p != null && p.isLeader()) {
                leader = Optional.of(s.host());
            }
        }
        Optional<Versioned<ClusterSecrets>> secrets = dcs.secrets();
        if (leader.isEmpty() || secrets.isEmpty()) {
            CtlMain.err(spec).println("note: no leader to end its WAL segment: commits after the last archived"
                    + " segment are not in the copy");
            return;
        }
        String address = cluster.host(leader.get()).orElseThrow().address();
        PostgresProbe pg = new PostgresProbe(PatroniConfig.SUPERUSER, secrets.get().value()
                .get("superuser").orElseThrow(), 5, ctl.agentConfig().caCertificate());
        try {
            String segment = pg.switchWal(address, ClusterSpec.POSTGRES_PORT);
            long deadline = System.nanoTime() + ARCHIVE_WAIT.toNanos();
            String last = "";
            while (System.nanoTime() < deadline) {
                last = pg.archiver(address, ClusterSpec.POSTGRES_PORT).lastArchived();
                if (last != null && last.compareTo(segment) >= 0) {
                    return;
                }
                Thread.sleep(200);
            }
            throw new IOException("WAL segment " + segment + " ended on leader " + leader.get() + " but not archived"
                    + " within " + ARCHIVE_WAIT.toSeconds() + " s (last archived " + last + "): pghactl status shows"
                    + " why; the copy would miss commits since");
        } catch (SQLException e) {
            CtlMain.err(spec).println("note: could not end the WAL segment on leader " + leader.get() + " ("
                    + e.getMessage() + "): commits after its last archived segment are not in the copy");
        }
    }
}
