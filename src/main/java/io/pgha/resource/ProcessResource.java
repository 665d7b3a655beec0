package io.pgha.resource;

import io.pgha.supervise.ProcessSpec;
import io.pgha.supervise.Supervisor;
import java.io.IOException;
import java.util.List;

/** A supervised program, running with the configuration its files describe now. */
public record ProcessResource(ProcessSpec spec, Supervisor supervisor) implements Resource {

    @Override
    public String id() {
        return "process:" + spec.name();
    }

    @Override
    public List<String> check() {
        return supervisor.check(spec);
    }

    @Override
    public Result apply() {
        try {
            Supervisor.Action action = supervisor.ensure(spec);
            long pid = supervisor.pid(spec.name()).orElse(0L);
            return switch (action) {
                case NONE -> Result.ok(id());
                case ADOPTED -> new Result(id(), Status.OK, "adopted running pid " + pid);
                case STARTED -> Result.changed(id(), "started pid " + pid);
                case RESTARTED -> Result.changed(id(), "restarted for a configuration change, pid " + pid);
                case RELOADED -> Result.changed(id(), "reloaded pid " + pid);
            };
        } catch (IOException e) {
            return Result.failed(id(), "cannot start: " + e.getMessage());
        }
    }
}
