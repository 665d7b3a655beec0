package io.pgha.cli;

import io.pgha.model.AgentConfig;
import io.pgha.tls.ClusterFiles;
import io.pgha.tls.IssuedCertificate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "admin", mixinStandardHelpOptions = true, description = "pghactl's own identity.",
        subcommands = AdminCommand.Renew.class)
final class AdminCommand implements Runnable {
    @CommandLine.ParentCommand
    CtlMain ctl;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }

    @Command(name = "renew", mixinStandardHelpOptions = true,
            description = "A new admin certificate (two years) from the CA beside agent.yml (pghactl init's"
                    + " directory), replacing admin.crt and admin.key there. Copies of the old one stay valid until"
                    + " they expire: copy the new files to where pghactl runs.")
    static final class Renew implements Callable<Integer> {
        @CommandLine.ParentCommand
        AdminCommand parent;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            AgentConfig agent = parent.ctl.agentConfig();
            Path dir = agent.adminCertificate().getParent();
            if (!Files.exists(agent.caKey())) {
                throw new CtlMain.BadInputException("the admin certificate is signed with the cluster CA's key, and"
                        + " there is none at " + agent.caKey() + ": run this beside pghactl init's files (--config"
                        + " DIR/agent.yml) or on an etcd host");
            }
            IssuedCertificate admin = ClusterFiles.renewAdmin(dir, new SecureRandom(), Instant.now());
            CtlMain.out(spec).println("renewed " + agent.adminCertificate() + " and " + agent.adminKey()
                    + ": valid until " + admin.notAfter() + "; copy both (mode 0600) to where pghactl runs");
            return CtlMain.OK;
        }
    }
}
