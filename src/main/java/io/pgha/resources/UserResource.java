package io.pgha.resources;

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
    public Result checkApply(boolean apply) {
        try {
            if (Command.run(List.of("/usr/bin/getent", "passwd", name), TIMEOUT).ok()) {
                return Result.ok(id());
            }
            List<String> diff = List.of(name + ": no such user (would create a system user, home " + home + ")");
            if (!apply) {
                return Result.wouldChange(id(), diff);
            }
            Command.Outcome out = Command.run(List.of("/usr/sbin/useradd", "--system", "--user-group", "--no-create-home",
                    "--home-dir", home.toString(), "--shell", "/usr/sbin/nologin", name), TIMEOUT);
            return out.ok() ? Result.changed(id(), "created system user " + name, diff)
                    : Result.failed(id(), "useradd failed (exit " + out.exitCode() + "): " + out.lastLine(), diff);
        } catch (IOException e) {
            String reason = name + ": cannot look up or create: " + e.getMessage();
            return Result.failed(id(), reason, List.of(reason));
        }
    }
}
