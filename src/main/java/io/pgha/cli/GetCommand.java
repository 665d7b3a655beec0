package io.pgha.cli;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.Versioned;
import io.pgha.model.AgentConfig;
import io.pgha.model.ClusterSecrets;
import io.pgha.runtime.Installation;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

@Command(name = "get", mixinStandardHelpOptions = true,
        description = "Show a stored object: 'spec', or 'secret NAME' (admin only: etcd refuses other identities).")
final class GetCommand implements Callable<Integer> {
    @CommandLine.ParentCommand
    CtlMain ctl;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "WHAT", description = "spec | secret")
    String what;

    @Parameters(index = "1", arity = "0..1", paramLabel = "NAME", description = "secret name: superuser, replication, rewind, monitor, patroni_rest, patroni_etcd")
    String name;

    @Override
    public Integer call() throws CtlMain.BadInputException, DcsException, IOException {
        AgentConfig agent = ctl.agentConfig();
        switch (what) {
            case "spec" -> {
                try (Dcs dcs = ctl.dcs(agent)) {
                    Optional<Versioned<String>> current = dcs.spec();
                    if (current.isEmpty()) {
                        CtlMain.err(spec).println("no spec stored for cluster " + agent.cluster()
                                + " (" + Installation.ctl() + " apply -f cluster.yml stores one)");
                        return CtlMain.FAILURE;
                    }
                    CtlMain.out(spec).print(current.get().value());
                    CtlMain.err(spec).println("# revision " + current.get().modRevision());
                    return CtlMain.OK;
                }
            }
            case "secret" -> {
                if (name == null || !ClusterSecrets.NAMES.contains(name)) {
                    CtlMain.err(spec).println("expected a secret name, one of " + ClusterSecrets.NAMES + ", found "
                            + (name == null ? "none" : "'" + name + "'"));
                    return CtlMain.BAD_INPUT;
                }
                try (Dcs dcs = ctl.dcs(agent)) {
                    Optional<Versioned<ClusterSecrets>> stored = dcs.secrets();
                    if (stored.isEmpty()) {
                        CtlMain.err(spec).println("no secrets yet: the first " + Installation.ctl()
                                + " apply generates them");
                        return CtlMain.FAILURE;
                    }
                    CtlMain.out(spec).println(stored.get().value().get(name).orElseThrow());
                    return CtlMain.OK;
                }
            }
            default -> {
                CtlMain.err(spec).println("expected 'spec' or 'secret NAME', found '" + what + "'");
                return CtlMain.BAD_INPUT;
            }
        }
    }
}
