package io.pgha.cli;

import io.pgha.dcs.DcsException;
import io.pgha.dcs.StoredSpec;
import io.pgha.dcs.EtcdDcs;
import io.pgha.dcs.Versioned;
import io.pgha.model.AgentConfig;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.ClusterSpec;
import io.pgha.model.Health;
import io.pgha.model.HostStatus;
import io.pgha.model.InvalidSpecException;
import io.pgha.model.Maintenance;
import io.pgha.model.Role;
import io.pgha.runtime.Installation;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "pause", mixinStandardHelpOptions = true,
        description = "Maintenance mode: Patroni paused (no automatic failover), and the agents start no rolling"
                + " restart, replica repair, etcd defragmentation, scheduled backup or drill; they still converge"
                + " files and report. Waits until every data host's Patroni says it is paused. pghactl resume ends it.")
final class PauseCommand implements Callable<Integer> {
    private static final long POLL_MILLIS = 250;

    @CommandLine.ParentCommand
    CtlMain ctl;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--reason", paramLabel = "TEXT", defaultValue = "",
            description = "why, shown with PAUSED in every status (one line, at most 200 characters)")
    String reason;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "how long to wait for every host to take the pause (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Override
    public Integer call() throws CtlMain.BadInputException, DcsException, IOException, InterruptedException {
        CtlMain.checkTimeout(timeoutSeconds);
        if (reason.length() > Maintenance.MAX_REASON || reason.chars().anyMatch(Character::isISOControl)) {
            throw new CtlMain.BadInputException("--reason: expected one line of at most " + Maintenance.MAX_REASON
                    + " characters, found " + reason.length() + " characters"
                    + (reason.chars().anyMatch(Character::isISOControl) ? " with a control character" : ""));
        }
        AgentConfig agent = ctl.agentConfig();
        try (EtcdDcs dcs = ctl.dcs(agent)) {
            Optional<ClusterSpec> cluster = stored(dcs, agent);
            if (cluster.isEmpty()) {
                CtlMain.err(spec).println("no spec stored for cluster " + agent.cluster() + ": nothing to pause");
                return CtlMain.FAILURE;
            }
            // The agents read the pause with the grants of this pghactl: an apply by an older one lacked it.
            ClusterSecrets secrets = dcs.secrets().map(Versioned::value).orElseThrow(
                    () -> new IOException("no cluster secrets stored: apply the spec first"));
            ApplyCommand.grantAccess(dcs, agent, cluster.get(), secrets);
            Optional<Maintenance> was = dcs.maintenance().map(Versioned::value);
            Maintenance pause = new Maintenance(reason.isEmpty() ? was.map(Maintenance::reason).orElse("") : reason,
                    was.map(Maintenance::since).orElse(System.currentTimeMillis()), hostName());
            if (!was.equals(Optional.of(pause))) {
                dcs.putMaintenance(pause);
            }
            CtlMain.out(spec).println((was.isPresent() ? "already " : "") + pause.describe() + ": no automatic"
                    + " failover; " + Maintenance.HELD + " wait for " + Installation.ctl() + " resume");
            return await(dcs, cluster.get(), timeoutSeconds, CtlMain.out(spec), CtlMain.err(spec), true);
        }
    }

    /** This machine's name, for the status's "by": the kernel's, read without a DNS look-up. */
    private static String hostName() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (IOException e) {
            return "";
        }
    }

    /** The stored spec, if any; one that no longer parses here is reported as bad input. */
    static Optional<ClusterSpec> stored(EtcdDcs dcs, AgentConfig agent)
            throws DcsException, CtlMain.BadInputException {
        try {
            return StoredSpec.find(dcs, agent);
        } catch (InvalidSpecException e) {
            throw new CtlMain.BadInputException(e.describe());
        }
    }

    /**
     * Waits until every host that reports is {@code paused} (or resumed); a host without a status or a data host
     * whose Patroni does not answer is named, not waited for (a dead leader's host is what a pause is often for).
     */
    static int await(EtcdDcs dcs, ClusterSpec cluster, int timeoutSeconds, PrintWriter out, PrintWriter err,
                     boolean paused) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + timeoutSeconds * 1_000_000_000L;
        Progress progress;
        while (true) {
            try {
                progress = progress(dcs.hostStatuses().readable(), cluster, paused);
            } catch (DcsException e) {
                progress = new Progress(Map.of("(all)", "statuses not readable from etcd: " + e.getMessage()),
                        Map.of());
            }
            if (progress.waiting().isEmpty()) {
                out.printf(Locale.ROOT, "%s on %d of %d hosts after %.1f s%n", paused ? "paused" : "resumed",
                        cluster.hosts().size() - progress.away().size(), cluster.hosts().size(),
                        (System.nanoTime() - start) / 1e9);
                progress.away().forEach((host, why) -> out.println("  " + host + ": " + why + "; it follows the "
                        + (paused ? "pause" : "resume") + " when it is back"));
                return CtlMain.OK;
            }
            if (System.nanoTime() >= deadline) {
                break;
            }
            Thread.sleep(POLL_MILLIS);
        }
        err.println((paused ? "not paused" : "not resumed") + " everywhere after " + timeoutSeconds + " s:");
        progress.waiting().forEach((host, why) -> err.println("  " + host + ": " + why));
        progress.away().forEach((host, why) -> err.println("  " + host + ": " + why));
        return CtlMain.FAILURE;
    }

    /** Hosts that have not taken the pause (or its end) yet, and hosts that cannot say, each with why. */
    record Progress(Map<String, String> waiting, Map<String, String> away) {
    }

    static Progress progress(Map<String, HostStatus> statuses, ClusterSpec cluster, boolean paused) {
        Map<String, String> waiting = new LinkedHashMap<>();
        Map<String, String> away = new LinkedHashMap<>();
        for (ClusterSpec.Host h : cluster.hosts().values()) {
            HostStatus s = statuses.get(h.name());
            if (s == null) {
                away.put(h.name(), "no status (agent or host down)");
            } else if ((s.maintenance() != null) != paused) {
                waiting.put(h.name(), "its agent has not seen the " + (paused ? "pause" : "resume") + " yet");
            } else if (h.roles().contains(Role.DATA)) {
                Health.Patroni p = s.health().patroni();
                if (p == null || Health.Patroni.UNREACHABLE.state().equals(p.state())) {
                    away.put(h.name(), "Patroni not answering (" + s.describePatroni() + ")");
                } else if (p.isPaused() != paused) {
                    waiting.put(h.name(), "Patroni says " + (paused ? "not paused" : "paused") + " yet");
                }
            }
        }
        return new Progress(waiting, away);
    }
}
