package io.pgha.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** pghactl builds only the command a command line names; help and mistakes still see all of them. */
class CommandLineTest {
    @Test
    void theNamedCommandAloneIsAdded() {
        assertEquals(List.of("status"), List.copyOf(CtlMain.commandLine("status", "--json").getSubcommands().keySet()));
        assertEquals(List.of("get"), List.copyOf(CtlMain.commandLine("--config", "get", "get", "spec")
                .getSubcommands().keySet()), "an option's value is not a command");
        picocli.CommandLine.Model.CommandSpec root = CtlMain.commandLine().getCommandSpec();
        assertEquals(Optional.of("apply"), CtlMain.commandNamed(root, "--endpoints", "https://x:2379", "apply", "-f",
                "a"));
        assertEquals(Optional.of("logs"), CtlMain.commandNamed(root, "--config=/etc/x.yml", "logs", "pg1"));
        assertEquals(Optional.of("status"), CtlMain.commandNamed(root, "-h", "status"), "-h takes no value");
    }

    @Test
    void noCommandOrAnUnknownOneGetsThemAll() {
        for (String[] args : List.of(new String[0], new String[] {"--help"}, new String[] {"stauts"})) {
            assertEquals(List.copyOf(CtlMain.COMMANDS.keySet()),
                    List.copyOf(CtlMain.commandLine(args).getSubcommands().keySet()), String.join(" ", args));
        }
        assertTrue(CtlMain.COMMANDS.size() >= 20, "commands: " + CtlMain.COMMANDS.keySet());
    }

    @Test
    void aCommandRunsAnotherInItsCommandLine() {
        picocli.CommandLine cli = CtlMain.commandLine("lab", "up");
        java.io.StringWriter out = new java.io.StringWriter();
        cli.setOut(new java.io.PrintWriter(out));
        picocli.CommandLine up = cli.getSubcommands().get("lab").getSubcommands().get("up");
        assertEquals(CtlMain.OK, CtlMain.execute(up.getCommandSpec(), "validate", "--help"));
        assertTrue(out.toString().contains("Usage: pghactl validate"), out.toString());
        assertEquals(List.of("lab", "validate"), List.copyOf(cli.getSubcommands().keySet()));
    }

    @Test
    void aMistypedCommandIsStillNamedInTheError() {
        CtlRun run = CtlRun.of("stauts");
        assertEquals(CtlMain.BAD_INPUT, run.code(), run.err());
        assertTrue(run.err().contains("status"), "picocli suggests the command it knows: " + run.err());
    }

    @Test
    void inheritedOptionsReachAnAddedCommand() {
        CtlRun run = CtlRun.of("--config", "/nonexistent/agent.yml", "get", "spec");
        assertEquals(CtlMain.BAD_INPUT, run.code(), run.out() + run.err());
        assertTrue(run.err().contains("/nonexistent/agent.yml"), run.err());
    }
}
