package io.pgha.resources;

import io.pgha.supervise.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Packages that must be installed. Never removes anything. A distro service that the install enables and starts
 * (etcd's, haproxy's, Debian's default Postgres cluster) is stopped and disabled, because the agent supervises
 * the program itself: {@code distroServices} names them, and they are touched only on a host booted with systemd
 * whose real root the agent manages.
 */
public record PackageResource(PackageSources sources, List<String> names, List<String> distroServices,
                              boolean manageServices) implements Resource {
    private static final Duration QUERY_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(15);

    public PackageResource {
        names = List.copyOf(names);
        distroServices = List.copyOf(distroServices);
    }

    @Override
    public String id() {
        return "package:" + String.join(",", names);
    }

    @Override
    public Result checkApply(boolean apply) {
        List<String> missing;
        List<String> active;
        List<String> diff = new ArrayList<>();
        try {
            missing = missing();
            active = activeServices();
        } catch (IOException e) {
            String reason = "cannot query the package manager: " + e.getMessage();
            return Result.failed(id(), reason, List.of(reason));
        }
        PackageManager manager = sources.platform().manager();
        missing.forEach(name -> diff.add(name + ": not installed (would install with " + manager.name().toLowerCase()
                + ")"));
        active.forEach(service -> diff.add(service + ".service: enabled or running (would stop and disable:"
                + " pgha-agent supervises it)"));
        if (diff.isEmpty()) {
            return Result.ok(id());
        }
        if (!apply) {
            return Result.wouldChange(id(), diff);
        }
        try {
            List<String> done = new ArrayList<>();
            if (!missing.isEmpty()) {
                List<String> extra;
                try {
                    extra = sources.prepare(missing);
                } catch (IOException e) {
                    return Result.failed(id(), e.getMessage(), diff);
                }
                Command.Outcome out = Command.run(manager.install(missing, extra), manager.environment(),
                        INSTALL_TIMEOUT);
                if (!out.ok()) {
                    return Result.failed(id(), "install of " + missing + " failed (exit " + out.exitCode() + "): "
                            + out.lastLine(), diff);
                }
                done.add("installed " + String.join(" ", missing));
            }
            for (String service : active) {
                Command.Outcome out = Command.run(List.of("/usr/bin/systemctl", "disable", "--now", service + ".service"),
                        QUERY_TIMEOUT);
                if (!out.ok()) {
                    return Result.failed(id(), "could not stop and disable " + service + ".service: " + out.lastLine(),
                            diff);
                }
                done.add("stopped and disabled " + service + ".service");
            }
            return Result.changed(id(), String.join("; ", done), diff);
        } catch (IOException e) {
            return Result.failed(id(), e.getMessage(), diff);
        }
    }

    private List<String> missing() throws IOException {
        List<String> missing = new ArrayList<>();
        PackageManager manager = sources.platform().manager();
        for (String name : names) {
            Command.Outcome out = Command.run(manager.queryInstalled(name), QUERY_TIMEOUT);
            if (!out.ok() || !manager.isInstalledOutput(out.output())) {
                missing.add(name);
            }
        }
        return missing;
    }

    private List<String> activeServices() throws IOException {
        List<String> active = new ArrayList<>();
        if (!manageServices || !Files.isDirectory(Path.of("/run/systemd/system"))) {
            return active;
        }
        for (String service : distroServices) {
            String unit = service + ".service";
            boolean enabled = Command.run(List.of("/usr/bin/systemctl", "is-enabled", "--quiet", unit), QUERY_TIMEOUT).ok();
            boolean running = Command.run(List.of("/usr/bin/systemctl", "is-active", "--quiet", unit), QUERY_TIMEOUT).ok();
            if (enabled || running) {
                active.add(service);
            }
        }
        return active;
    }
}
