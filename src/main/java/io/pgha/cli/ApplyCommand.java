package io.pgha.cli;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.Versioned;
import io.pgha.model.AgentConfig;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.ClusterSpec;
import io.pgha.model.ClusterSpecParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

@Command(name = "apply", mixinStandardHelpOptions = true,
        description = "Validate a cluster spec and store it in etcd (compare-and-swap).")
final class ApplyCommand implements Callable<Integer> {
    @CommandLine.ParentCommand
    CtlMain ctl;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "FILE", description = "cluster spec (YAML)")
    Path file;

    @Option(names = "--expect-revision", paramLabel = "REV",
            description = "apply only if the stored spec is still at this revision (0: only if there is none)")
    Long expectRevision;

    @Override
    public Integer call() throws CtlMain.BadInputException, DcsException, IOException {
        AgentConfig agent = ctl.agentConfig();
        ClusterSpec cluster = ValidateCommand.parse(new ClusterSpecParser(agent), file);
        String text = Files.readString(file);
        try (Dcs dcs = ctl.dcs(agent)) {
            if (dcs.createSecrets(ClusterSecrets.generate(new SecureRandom()).toJson())) {
                CtlMain.out(spec).println("generated the cluster's secrets (" + Installation.ctl()
                        + " get secret NAME shows them, as root)");
            }
            Optional<Versioned> current = dcs.spec();
            long readRevision = current.map(Versioned::modRevision).orElse(0L);
            if (expectRevision != null && expectRevision != readRevision) {
                CtlMain.err(spec).println("refused: the spec is at revision " + readRevision + ", expected "
                        + expectRevision + " (someone else applied a change; read it with " + Installation.ctl()
                        + " get spec)");
                return CtlMain.FAILURE;
            }
            if (current.isPresent() && current.get().value().equals(text)) {
                CtlMain.out(spec).println("unchanged: the stored spec is already this file (revision " + readRevision + ")");
                return CtlMain.OK;
            }
            long written;
            try {
                written = dcs.applySpec(text, readRevision);
            } catch (DcsException.RevisionConflict e) {
                CtlMain.err(spec).println("refused: the spec changed while this apply ran (it was at revision "
                        + readRevision + "); nothing was written, read it with " + Installation.ctl()
                        + " get spec and apply again");
                return CtlMain.FAILURE;
            }
            CtlMain.out(spec).println("applied " + file + " to cluster " + cluster.cluster() + ": revision "
                    + written + " (" + ValidateCommand.describe(cluster) + ")");
            return CtlMain.OK;
        }
    }
}
