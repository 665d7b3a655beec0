package io.pgha.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** pghactl run in the test's JVM as its launcher runs it: exit code, stdout and stderr, errors as CtlMain says them. */
record CtlRun(int code, String out, String err) {
    static CtlRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = CtlMain.commandLine(args);
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println(e.getMessage());
            return e instanceof CtlMain.BadInputException ? CtlMain.BAD_INPUT : CtlMain.FAILURE;
        });
        int code = cli.execute(args);
        return new CtlRun(code, out.toString(), err.toString());
    }
}
