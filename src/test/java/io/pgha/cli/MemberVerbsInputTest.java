package io.pgha.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The member verbs refuse bad arguments with exit 2 and the reason, before they read agent.yml or reach etcd. */
class MemberVerbsInputTest {
    private record Run(int code, String err) {
    }

    private static Run run(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new CtlMain());
        cli.setErr(new PrintWriter(err));
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println(e.getMessage());
            return e instanceof CtlMain.BadInputException ? CtlMain.BAD_INPUT : CtlMain.FAILURE;
        });
        int code = cli.execute(args);
        return new Run(code, err.toString());
    }

    private static void refused(String expected, String... args) {
        Run r = run(args);
        assertEquals(CtlMain.BAD_INPUT, r.code(), r.err());
        assertTrue(r.err().contains(expected), r.err());
    }

    @Test
    void failoverWithoutForceIsRefusedAndPointsToSwitchover() {
        refused("pghactl switchover --to pg2", "failover", "--to", "pg2");
        refused("--to", "failover", "--force");
    }

    @Test
    void restartNeedsAHostOrAllButNotBoth() {
        refused("found neither", "restart");
        refused("found both", "restart", "pg1", "--all");
        refused("--timeout", "restart", "--all", "--timeout", "0");
    }

    @Test
    void logsNamesTheProgramsAndTheBoundOfLines() {
        refused("--program: expected one of [agent, patroni, postgres", "logs", "pg1", "--program", "sshd");
        refused("--lines: expected 1 to 10000, found 0", "logs", "pg1", "--lines", "0");
    }
}
