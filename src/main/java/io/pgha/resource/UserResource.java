package io.pgha.resource;

import io.pgha.supervise.Command;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** A system account a supervised program runs as. Packages usually create it; this makes sure. */
public record UserResource(String name, Path home) implements Resource {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Override
    public String id() {
        return "user:" + name;
    }

    @Override
    public List<String> check() {
        try {
            return exists() ? List.of() : List.of(name + ": no such user (would create a system user, home " + home + ")");
        } catch (IOException e) {
            return List.of(name + ": cannot look up: " + e.getMessage());
        }
    }

    @Override
    public Result apply() {
        try {
            if (exists()) {
                return Result.ok(id());
            }
            Command.Outcome out = Command.run(List.of("/usr/sbin/useradd", "--system", "--user-group", "--no-create-home",
                    "--home-dir", home.toString(), "--shell", "/usr/sbin/nologin", name), TIMEOUT);
            return out.ok() ? Result.changed(id(), "created system user " + name)
                    : Result.failed(id(), "useradd failed (exit " + out.exitCode() + "): " + out.lastLine());
        } catch (IOException e) {
            return Result.failed(id(), e.getMessage());
        }
    }

    private boolean exists() throws IOException {
        return Command.run(List.of("/usr/bin/getent", "passwd", name), TIMEOUT).ok();
    }
}
