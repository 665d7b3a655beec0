package io.pgha.cli;

import io.pgha.spec.AgentConfig;
import io.pgha.spec.ClusterSecrets;
import io.pgha.spec.ClusterSpec;
import io.pgha.store.EtcdStore;
import io.pgha.store.Keys;
import io.pgha.store.StoreException;
import io.pgha.store.Versioned;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "apply", description = "Validate a cluster spec and store it in etcd (compare-and-swap).")
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
    public Integer call() throws CtlMain.BadInputException, StoreException, IOException {
        AgentConfig agent = ctl.agentConfig();
        ClusterSpec cluster = ValidateCommand.parse(agent, file);
        String text = Files.readString(file);
        Keys keys = new Keys(agent.cluster());
        try (EtcdStore store = ctl.store(agent)) {
            if (store.putIfRevision(keys.secrets(), ClusterSecrets.generate(new SecureRandom()).toJson(), 0).isPresent()) {
                CtlMain.out(spec).println("generated the cluster's secrets (pghactl get secret NAME shows them, as root)");
            }
            Optional<Versioned> current = store.get(keys.spec());
            long readRevision = current.map(Versioned::modRevision).orElse(0L);
            if (expectRevision != null && expectRevision != readRevision) {
                CtlMain.err(spec).println("refused: the spec is at revision " + readRevision + ", expected "
                        + expectRevision + " (someone else applied a change; read it with pghactl get spec)");
                return CtlMain.FAILURE;
            }
            if (current.isPresent() && current.get().value().equals(text)) {
                CtlMain.out(spec).println("unchanged: the stored spec is already this file (revision " + readRevision + ")");
                return CtlMain.OK;
            }
            Optional<Long> written = store.putIfRevision(keys.spec(), text, readRevision);
            if (written.isEmpty()) {
                CtlMain.err(spec).println("refused: the spec changed while this apply ran (it was at revision "
                        + readRevision + "); nothing was written, read it with pghactl get spec and apply again");
                return CtlMain.FAILURE;
            }
            CtlMain.out(spec).println("applied " + file + " to cluster " + cluster.cluster() + ": revision "
                    + written.get() + " (" + ValidateCommand.describe(cluster) + ")");
            return CtlMain.OK;
        }
    }
}
