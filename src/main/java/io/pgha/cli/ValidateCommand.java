package io.pgha.cli;

import io.pgha.model.AgentConfig;
import io.pgha.model.ClusterSpec;
import io.pgha.model.ClusterSpecParser;
import io.pgha.model.InvalidSpecException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

@Command(name = "validate", mixinStandardHelpOptions = true,
        description = "Check a cluster spec without storing it.")
final class ValidateCommand implements Callable<Integer> {
    @CommandLine.ParentCommand
    CtlMain ctl;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "FILE", description = "cluster spec (YAML)")
    Path file;

    /** The spec alone; cross-checked with agent.yml (cluster name, etcd members, ports) when one is given or present. */
    @Override
    public Integer call() throws CtlMain.BadInputException {
        Optional<AgentConfig> agent = ctl.agentConfigIfAny();
        ClusterSpec cluster = parse(agent.map(ClusterSpecParser::new).orElse(ClusterSpecParser.standalone()), file);
        CtlMain.out(spec).println("ok: " + file + " is a valid spec for cluster " + cluster.cluster() + " ("
                + describe(cluster) + ")" + (agent.isPresent() ? "" : "; not checked against an agent.yml (none here:"
                + " pass --config FILE for that)"));
        cluster.warnings().forEach(w -> CtlMain.err(spec).println("warning: " + w));
        return CtlMain.OK;
    }

    static ClusterSpec parse(ClusterSpecParser parser, Path file) throws CtlMain.BadInputException {
        try {
            return parser.parse(Files.readString(file), file.toString());
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
