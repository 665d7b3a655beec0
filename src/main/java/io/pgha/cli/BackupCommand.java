package io.pgha.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgha.backup.HostJob;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.StoredSpec;
import io.pgha.model.AgentConfig;
import io.pgha.model.BackupReport;
import io.pgha.model.ClusterSpec;
import io.pgha.model.HostRequest;
import io.pgha.model.HostStatus;
import io.pgha.model.Role;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

@Command(name = "backup", mixinStandardHelpOptions = true,
        description = "The pgBackRest repository of the spec's backup section: take a backup, list them, run a"
                + " restore drill. The repository host's agent runs each job and reports it in its status.",
        subcommands = {BackupCommand.Run.class, BackupCommand.ListBackups.class, BackupCommand.DrillNow.class})
final class BackupCommand implements Runnable {
    private static final ObjectMapper JSON = new ObjectMapper();

    @CommandLine.ParentCommand
    CtlMain ctl;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }

    /** The spec's repository host; a BadInputException when the spec has no backup section. */
    static ClusterSpec.Host repositoryHost(ClusterSpec cluster) throws CtlMain.BadInputException {
        if (cluster.backup().isEmpty() || cluster.hostsWith(Role.BACKUP).isEmpty()) {
            throw new CtlMain.BadInputException("the stored spec has no backup section (add one, with a host of role"
                    + " backup, and pghactl apply it)");
        }
        return cluster.hostsWith(Role.BACKUP).get(0);
    }

    /** Asks the repository host for a job and waits for it; prints the outcome. */
    static int runJob(CtlMain ctl, CommandLine.Model.CommandSpec spec, String kind, String type, int timeoutSeconds,
                      boolean json) throws Exception {
        AgentConfig agent = ctl.agentConfig();
        try (Dcs dcs = ctl.dcs(agent)) {
            ClusterSpec cluster = StoredSpec.read(dcs, agent);
            String host = repositoryHost(cluster).name();
            HostJob jobs = new HostJob(dcs);
            long start = System.nanoTime();
            String id = jobs.ask(host, kind, type, "");
            BackupReport.Job job = jobs.await(host, id, Duration.ofSeconds(timeoutSeconds));
            PrintWriter out = CtlMain.out(spec);
            if (json) {
                out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(job));
            } else {
                out.printf(Locale.ROOT, "%s on %s: %s in %.1f s (%.1f s after the request): %s%n",
                        type.isEmpty() ? kind : type + " " + kind, host, job.state(), job.seconds(0),
                        (System.nanoTime() - start) / 1e9, job.detail());
            }
            return job.state().equals(BackupReport.Job.OK) ? CtlMain.OK : CtlMain.FAILURE;
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Take a backup now, from a replica or the leader as the spec says; waits until it is done.")
    static final class Run implements Callable<Integer> {
        @CommandLine.ParentCommand
        BackupCommand parent;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--type", defaultValue = "full",
                description = "full, diff (changes since the last full) or incr (since the last backup); default"
                        + " ${DEFAULT-VALUE}")
        String type;

        @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "3600",
                description = "how long to wait (default: ${DEFAULT-VALUE}); the backup goes on after it")
        int timeoutSeconds;

        @Option(names = "--json", description = "the job as the repository host reports it")
        boolean json;

        @Override
        public Integer call() throws Exception {
            if (!HostRequest.BACKUP_TYPES.contains(type)) {
                CtlMain.err(spec).println("--type: expected full, diff or incr, found '" + type + "'");
                return CtlMain.BAD_INPUT;
            }
            return runJob(parent.ctl, spec, HostRequest.BACKUP, type, timeoutSeconds, json);
        }
    }

    @Command(name = "drill", mixinStandardHelpOptions = true,
            description = "Run a restore drill now: the newest backup restored into a scratch directory on the"
                    + " repository host, started, checked, removed.")
    static final class DrillNow implements Callable<Integer> {
        @CommandLine.ParentCommand
        BackupCommand parent;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "3600",
                description = "how long to wait (default: ${DEFAULT-VALUE})")
        int timeoutSeconds;

        @Option(names = "--json", description = "the job as the repository host reports it")
        boolean json;

        @Override
        public Integer call() throws Exception {
            return runJob(parent.ctl, spec, HostRequest.DRILL, "", timeoutSeconds, json);
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "The backups in the repository, as its host last read them, and the last drill.")
    static final class ListBackups implements Callable<Integer> {
        @CommandLine.ParentCommand
        BackupCommand parent;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--json", description = "type, start, stop, sizes and WAL range of each backup, as JSON")
        boolean json;

        @Override
        public Integer call() throws Exception {
            AgentConfig agent = parent.ctl.agentConfig();
            try (Dcs dcs = parent.ctl.dcs(agent)) {
                ClusterSpec cluster = StoredSpec.read(dcs, agent);
                String host = repositoryHost(cluster).name();
                Optional<BackupReport> report = new HostJob(dcs).status(host).map(HostStatus::backup);
                if (report.isEmpty()) {
                    CtlMain.err(spec).println(host + " reports no backup repository yet (its agent is starting, or"
                            + " its status is missing: pghactl status)");
                    return CtlMain.FAILURE;
                }
                print(report.get());
                return CtlMain.OK;
            } catch (DcsException e) {
                throw new IOException("etcd: " + e.getMessage(), e);
            }
        }

        private void print(BackupReport report) throws IOException {
            PrintWriter out = CtlMain.out(spec);
            if (json) {
                ArrayNode array = JSON.createArrayNode();
                for (BackupReport.BackupSet b : report.backups()) {
                    ObjectNode n = array.addObject().put("label", b.label()).put("type", b.type())
                            .put("start", Instant.ofEpochSecond(b.start()).toString())
                            .put("stop", Instant.ofEpochSecond(b.stop()).toString())
                            .put("size_bytes", b.size()).put("repo_size_bytes", b.repoSize());
                    n.putObject("wal").put("start", b.walStart()).put("stop", b.walStop());
                }
                out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(array));
                return;
            }
            out.printf("%-34s %-5s %-20s %8s %10s %10s  %s%n", "LABEL", "TYPE", "START (UTC)", "SECONDS", "SIZE",
                    "REPO-SIZE", "WAL");
            for (BackupReport.BackupSet b : report.backups()) {
                out.printf(Locale.ROOT, "%-34s %-5s %-20s %8d %10s %10s  %s - %s%n", b.label(), b.type(),
                        Instant.ofEpochSecond(b.start()).toString().replace('T', ' ').replace("Z", ""),
                        b.stop() - b.start(), StatusCommand.mib(b.size()), StatusCommand.mib(b.repoSize()),
                        b.walStart(), b.walStop());
            }
            if (report.backups().isEmpty()) {
                out.println("(no backup yet)");
            }
            out.println("archive: " + (report.walMin().isEmpty() ? "no WAL yet" : report.walMin() + " - "
                    + report.walMax()) + "; stanza: " + report.stanza());
            for (String kind : java.util.List.of(HostRequest.BACKUP, HostRequest.DRILL)) {
                report.job(kind).ifPresent(j -> out.printf(Locale.ROOT, "last %s: %s at %s, %.1f s: %s%n", kind,
                        j.state(), Instant.ofEpochMilli(j.started()), j.seconds(System.currentTimeMillis()),
                        j.detail()));
            }
        }
    }
}
