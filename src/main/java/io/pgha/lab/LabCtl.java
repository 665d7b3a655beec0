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

    /**
     * {@code pghactl lab up} with {@code options}, on {@code os}'s machines when they are booted ones; fails with the
     * last line pghactl printed.
     */
    public static void up(Path pghactl, LabPlan.Os os, Duration limit, String... options) throws IOException {
        List<String> argv = new ArrayList<>(List.of(pghactl.toString(), "lab", "up"));
        argv.addAll(List.of(options));
        if (os.booted()) {
            argv.addAll(List.of("--os", os.suite()));
        }
        io.pgha.supervise.Command.Outcome lab = io.pgha.supervise.Command.run(argv, limit);
        if (!lab.ok()) {
            throw new IllegalStateException("lab up failed: " + lab.lastLine());
        }
    }
}
