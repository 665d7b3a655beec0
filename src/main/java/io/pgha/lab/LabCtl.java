package io.pgha.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * pghactl run against a lab as a user runs it (a process, the lab's agent.yml), for the benches: its standard
 * output, or an exception that carries it.
 */
public final class LabCtl {
    private LabCtl() {
    }

    /** {@code pghactl}: the launcher (daemon/pghactl of a checkout). Its standard error is not kept. */
    public static String run(Path pghactl, LabPlan plan, Duration limit, String... args)
            throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of(pghactl.toString(), "--config",
                plan.agentYml(plan.hosts().get(0)).toString()));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(limit.toSeconds(), TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("pghactl " + String.join(" ", args) + " failed: " + text);
        }
        return text;
    }
}
