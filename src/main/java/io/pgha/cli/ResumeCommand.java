package io.pgha.cli;

import io.pgha.dcs.DcsException;
import io.pgha.dcs.EtcdDcs;
import io.pgha.dcs.Versioned;
import io.pgha.model.AgentConfig;
import io.pgha.model.ClusterSpec;
import io.pgha.model.Maintenance;
import io.pgha.runtime.Installation;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "resume", mixinStandardHelpOptions = true,
        description = "Ends maintenance mode: Patroni fails over again, and what waited (a rolling restart, a replica"
                + " repair, a defragmentation, a scheduled backup) runs. Waits until no data host's Patroni says it"
                + " is paused.")
final class ResumeCommand implements Callable<Integer> {
    @CommandLine.ParentCommand
    CtlMain ctl;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "how long to wait for every host to resume (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Override
    public Integer call() throws CtlMain.BadInputException, DcsException, IOException, InterruptedException {
        CtlMain.checkTimeout(timeoutSeconds);
        AgentConfig agent = ctl.agentConfig();
        try (EtcdDcs dcs = ctl.dcs(agent)) {
            Optional<ClusterSpec> cluster = PauseCommand.stored(dcs, agent);
            if (cluster.isEmpty()) {
                CtlMain.err(spec).println("no spec stored for cluster " + agent.cluster() + ": nothing to resume");
                return CtlMain.FAILURE;
            }
            Optional<Maintenance> was = dcs.maintenance().map(Versioned::value);
            if (was.isPresent()) {
                dcs.deleteMaintenance();
                CtlMain.out(spec).println("resuming (was " + was.get().describe() + ")");
            } else {
                CtlMain.out(spec).println("not paused");
            }
            return PauseCommand.await(dcs, cluster.get(), timeoutSeconds, CtlMain.out(spec), CtlMain.err(spec), false);
        }
    }
}
