package io.pgha.cli;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.model.AgentConfig;
import io.pgha.pooler.Switchover;
import io.pgha.postgres.Members;
import io.pgha.postgres.PatroniClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

@Command(name = "switchover", mixinStandardHelpOptions = true,
        description = "Planned leader change: Patroni does it; with a pooler in the spec, the lb hosts' poolers pause"
                + " for it and resume once their HAProxy routes writes to the new leader (clients wait, they see no"
                + " error); waits until the lb routes writes to the new leader and, in synchronous mode, until"
                + " Patroni has recorded a synchronous standby.")
final class SwitchoverCommand implements Callable<Integer> {
    @CommandLine.ParentCommand
    CtlMain ctl;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--to", paramLabel = "HOST", description = "the new leader (default: a healthy replica)")
    String to;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "how long to wait for the lb to route writes to the new leader (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Override
    public Integer call() throws CtlMain.BadInputException, DcsException, IOException, InterruptedException {
        AgentConfig agent = ctl.agentConfig();
        try (Dcs dcs = ctl.dcs(agent)) {
            Members members = Members.stored(dcs, agent, CtlMain.adminTls(agent).sslContext());
            if (to != null) {
                CtlMain.badInput(members.notDataHost("--to", to));
            }
            List<PatroniClient.ClusterMember> listed = members.cluster();
            PatroniClient.ClusterMember leader = listed.stream().filter(PatroniClient.ClusterMember::isLeader)
                    .findFirst().orElseThrow(() -> new IOException("the cluster has no leader to switch over from"
                            + " (pghactl failover --to HOST --force promotes one)"));
            String candidate = to != null ? to : PatroniClient.takeoverCandidates(listed).stream()
                    .map(PatroniClient.ClusterMember::name).findFirst()
                    .orElseThrow(() -> new IOException("no running replica can take over"));
            if (candidate.equals(leader.name())) {
                CtlMain.err(spec).println(candidate + " is already the leader");
                return CtlMain.FAILURE;
            }
            PrintWriter out = CtlMain.out(spec);
            new Switchover(members, dcs, agent.caCertificate(), out::println)
                    .run(leader.name(), candidate, "pghactl switchover", Duration.ofSeconds(timeoutSeconds));
            out.println("switched over from " + leader.name() + " to " + candidate);
            return CtlMain.OK;
        }
    }
}
