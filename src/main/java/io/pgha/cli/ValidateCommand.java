package io.pgha.cli;

import io.pgha.spec.AgentConfig;
import io.pgha.spec.ClusterSpec;
import io.pgha.spec.ClusterSpecParser;
import io.pgha.spec.InvalidSpecException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "validate", description = "Check a cluster spec without storing it.")
final class ValidateCommand implements Callable<Integer> {
    @CommandLine.ParentCommand
    CtlMain ctl;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "FILE", description = "cluster spec (YAML)")
    Path file;

    @Override
    public Integer call() throws CtlMain.BadInputException {
        ClusterSpec cluster = parse(ctl.agentConfig(), file);
        CtlMain.out(spec).println("ok: " + file + " is a valid spec for cluster " + cluster.cluster() + " ("
                + describe(cluster) + ")");
        return CtlMain.OK;
    }

    static ClusterSpec parse(AgentConfig agent, Path file) throws CtlMain.BadInputException {
        try {
            return new ClusterSpecParser(agent).parse(Files.readString(file), file.toString());
        } catch (InvalidSpecException e) {
            throw new CtlMain.BadInputException(e.describe());
        } catch (IOException e) {
            throw new CtlMain.BadInputException("cannot read " + file + ": " + e.getMessage());
        }
    }

    static String describe(ClusterSpec cluster) {
        return cluster.hosts().values().stream()
                .collect(Collectors.groupingBy(ClusterSpec.Host::rolesId, java.util.TreeMap::new, Collectors.counting()))
                .entrySet().stream().map(e -> e.getValue() + " " + e.getKey()).collect(Collectors.joining(", "));
    }
}
