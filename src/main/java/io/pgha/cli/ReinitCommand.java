package io.pgha.cli;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.model.AgentConfig;
import io.pgha.postgres.MemberWork;
import io.pgha.postgres.Members;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

@Command(name = "reinit", mixinStandardHelpOptions = true,
        description = "Copy a replica's data directory anew from the leader (Patroni's reinitialize), under the"
                + " cluster's restart lock; done once it streams again. Refused on the leader.")
final class ReinitCommand implements Callable<Integer> {
    @CommandLine.ParentCommand
    CtlMain ctl;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "HOST", description = "the replica to copy anew")
    String host;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600",
            description = "how long the copy may take, the restart lock's wait included (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Option(names = "--json", description = "the outcome as JSON")
    boolean json;

    @Override
    public Integer call() throws CtlMain.BadInputException, DcsException, IOException, InterruptedException {
        CtlMain.checkTimeout(timeoutSeconds);
        AgentConfig agent = ctl.agentConfig();
        try (Dcs dcs = ctl.dcs(agent)) {
            Members members = Members.stored(dcs, agent, CtlMain.adminTls(agent).sslContext());
            CtlMain.badInput(members.notDataHost("HOST", host));
            PrintWriter out = CtlMain.out(spec);
            PrintWriter progress = json ? CtlMain.err(spec) : out;
            long start = System.nanoTime();
            MemberWork.byPghactl(members, dcs, agent.caCertificate(), progress::println)
                    .reinit(host, Duration.ofSeconds(timeoutSeconds));
            double seconds = (System.nanoTime() - start) / 1e9;
            if (json) {
                CtlMain.printJson(spec, Map.of("host", host, "reinitialized", true, "seconds", seconds));
            } else {
                out.printf("%s reinitialized from the leader in %.1f s%n", host, seconds);
            }
            return CtlMain.OK;
        }
    }
}
