package io.pgha.cli;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.model.AgentConfig;
import io.pgha.postgres.ManualFailover;
import io.pgha.postgres.Members;
import io.pgha.postgres.PatroniClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

@Command(name = "failover", mixinStandardHelpOptions = true,
        description = "Promote a replica when no healthy leader can hand over (Patroni paused with its leader gone,"
                + " say). Writes the old leader had not sent are lost, hence --force; refused while a leader answers"
                + " (use pghactl switchover). Waits until the new leader leads.")
final class FailoverCommand implements Callable<Integer> {
    @CommandLine.ParentCommand
    CtlMain ctl;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--to", paramLabel = "HOST", required = true, description = "the replica to promote")
    String to;

    @Option(names = "--force", description = "promote although the writes it has not received are lost")
    boolean force;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "how long to wait for the new leader to lead (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Option(names = "--json", description = "the outcome as JSON")
    boolean json;

    @Override
    public Integer call() throws CtlMain.BadInputException, DcsException, IOException, InterruptedException {
        if (!force) {
            throw new CtlMain.BadInputException("--force: expected, found none: a failover promotes " + to
                    + " without the leader's hand-over and loses what it has not received; with a leader that"
                    + " answers, use pghactl switchover --to " + to);
        }
        CtlMain.checkTimeout(timeoutSeconds);
        AgentConfig agent = ctl.agentConfig();
        try (Dcs dcs = ctl.dcs(agent)) {
            Members members = Members.stored(dcs, agent, CtlMain.adminTls(agent).sslContext());
            CtlMain.badInput(members.notDataHost("--to", to));
            PrintWriter out = CtlMain.out(spec);
            PrintWriter progress = json ? CtlMain.err(spec) : out;
            ManualFailover failover = new ManualFailover(members, dcs, progress::println);
            List<PatroniClient.ClusterMember> listed = members.cluster();
            Optional<String> refused = failover.refusal(to, listed);
            if (refused.isPresent()) {
                CtlMain.err(spec).println("failover refused: " + refused.get());
                return CtlMain.FAILURE;
            }
            String from = listed.stream().filter(PatroniClient.ClusterMember::isLeader).findFirst()
                    .map(PatroniClient.ClusterMember::name).orElseGet(() -> lastLeader(members));
            long start = System.nanoTime();
            failover.run(to, from, Duration.ofSeconds(timeoutSeconds));
            double seconds = (System.nanoTime() - start) / 1e9;
            if (json) {
                CtlMain.printJson(spec, Map.of("from", from, "to", to, "seconds", seconds));
            } else {
                out.printf("failed over%s to %s in %.1f s%n", from.isEmpty() ? "" : " from " + from, to, seconds);
            }
            return CtlMain.OK;
        }
    }

    /** The leader before, when none is listed: the newest timeline's, by Patroni's history (none on timeline 1). */
    private static String lastLeader(Members members) {
        try {
            List<PatroniClient.TimelineSwitch> history = members.anyAnswering().history();
            return history.isEmpty() ? "" : history.get(history.size() - 1).newLeader();
        } catch (IOException e) {
            return "";
        }
    }
}
