package io.pgha.resources;

import io.pgha.supervise.ProcessSpec;
import io.pgha.supervise.Supervisor;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * A supervised program: present (running with the configuration its files describe now), or absent (stopped on
 * purpose, its data left where it is).
 *
 * @param spec   how the program runs; empty for an absent one
 * @param reason why an absent program must not run, for the plan and the log
 */
public record ProcessResource(String name, Optional<ProcessSpec> spec, String reason, Supervisor supervisor)
        implements Resource {

    public static ProcessResource present(ProcessSpec spec, Supervisor supervisor) {
        return new ProcessResource(spec.name(), Optional.of(spec), "", supervisor);
    }

    public static ProcessResource absent(String name, String reason, Supervisor supervisor) {
        return new ProcessResource(name, Optional.empty(), reason, supervisor);
    }

    @Override
    public String id() {
        return "process:" + name;
    }

    @Override
    public Result checkApply(boolean apply) {
        return spec.isPresent() ? present(spec.get(), apply) : absent(apply);
    }

    private Result present(ProcessSpec spec, boolean apply) {
        List<String> diff = supervisor.check(spec);
        if (!apply) {
            return diff.isEmpty() ? Result.ok(id()) : Result.wouldChange(id(), diff);
        }
        // Always ensure, even with nothing to change: a program found by its pid file is adopted here.
        try {
            Supervisor.Action action = supervisor.ensure(spec);
            long pid = supervisor.pid(name).orElse(0L);
            return switch (action) {
                case NONE -> Result.ok(id());
                case ADOPTED -> new Result(id(), Status.OK, "adopted running pid " + pid);
                case STARTED -> Result.changed(id(), "started pid " + pid, diff);
                case RESTARTED -> Result.changed(id(), "restarted for a configuration change, pid " + pid, diff);
                case RELOADED -> Result.changed(id(), "reloaded pid " + pid, diff);
            };
        } catch (IOException e) {
            return Result.failed(id(), "cannot start: " + e.getMessage(), diff);
        }
    }

    private Result absent(boolean apply) {
        try {
            Optional<Long> running = supervisor.runningPid(name);
            if (running.isEmpty()) {
                return Result.ok(id());
            }
            List<String> diff = List.of(name + ": running pid " + running.get() + " (would stop: " + reason
                    + "; its data is kept)");
            if (!apply) {
                return Result.wouldChange(id(), diff);
            }
            Optional<Long> stopped = supervisor.stop(name);
            return Result.changed(id(), "stopped pid " + stopped.orElse(running.get()) + ": " + reason
                    + "; its data is kept", diff);
        } catch (IOException e) {
            return Result.failed(id(), "cannot stop: " + e.getMessage(), List.of(name + ": " + e.getMessage()));
        }
    }
}
