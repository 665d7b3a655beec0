package io.pgha.cli;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.model.AgentConfig;
import io.pgha.pooler.Restarts;
import io.pgha.pooler.Switchover;
import io.pgha.postgres.MemberWork;
import io.pgha.postgres.Members;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

@Command(name = "restart", mixinStandardHelpOptions = true,
        description = "Restart Postgres through Patroni, one data host at a time under the cluster's restart lock"
                + " (the agents' rolling restarts take turns with it), each done once it streams from the leader"
                + " again: replicas first, the leader by a switchover (in place when no replica can take over).")
final class RestartCommand implements Callable<Integer> {
    @CommandLine.ParentCommand
    CtlMain ctl;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "HOST", description = "the data host to restart")
    String host;

    @Option(names = "--all", description = "every data host, replicas first, the leader last")
    boolean all;

    @Option(names = "--pending", description = "only hosts whose Patroni says a restart is pending")
    boolean pending;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "300",
            description = "how long each host may take, the restart lock's wait included (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Option(names = "--json", description = "what was restarted, as JSON")
    boolean json;

    @Override
    public Integer call() throws CtlMain.BadInputException, DcsException, IOException, InterruptedException {
        if ((host == null) == !all) {
            throw new CtlMain.BadInputException("expected a data host or --all, found "
                    + (all ? "both" : "neither"));
        }
        CtlMain.checkTimeout(timeoutSeconds);
        AgentConfig agent = ctl.agentConfig();
        try (Dcs dcs = ctl.dcs(agent)) {
            Members members = Members.stored(dcs, agent, CtlMain.adminTls(agent).sslContext());
            if (host != null) {
                CtlMain.badInput(members.notDataHost("HOST", host));
            }
            List<String> order = Restarts.order(members.dataHosts(), host == null ? List.of() : List.of(host),
                    pending, members.cluster());
            PrintWriter out = CtlMain.out(spec);
            PrintWriter progress = json ? CtlMain.err(spec) : out;
            if (order.isEmpty()) {
                progress.println("nothing to restart: no " + (host == null ? "data host" : host) + " has a restart"
                        + " pending");
            }
            List<Restarts.Done> done = new Restarts(members,
                    MemberWork.byPghactl(members, dcs, agent.caCertificate(), progress::println),
                    new Switchover(members, dcs, agent.caCertificate(), progress::println), progress::println)
                    .run(order, Duration.ofSeconds(timeoutSeconds));
            if (json) {
                CtlMain.printJson(spec, Map.of("restarted", done));
            } else {
                done.forEach(d -> out.printf("%s: %s in %.1f s%n", d.host(), d.action(), d.seconds()));
            }
            return CtlMain.OK;
        }
    }
}
