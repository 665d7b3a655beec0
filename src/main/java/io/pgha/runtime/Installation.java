package io.pgha.runtime;

import io.pgha.model.AgentConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Where the agent's own files are: installed under /usr/share/pgha-agent, or a source checkout. */
public final class Installation {
    public static final Path INSTALLED = Path.of("/usr/share/pgha-agent");

    private Installation() {
    }

    /** agent.yml's paths.roles, else $PGHA_HOME/roles (set by the launchers), else the installed tree. */
    public static Path rolesDir(AgentConfig config) {
        if (config.rolesDir().isPresent()) {
            return config.rolesDir().get();
        }
        Optional<Path> home = Optional.ofNullable(System.getenv("PGHA_HOME")).map(Path::of);
        Path fromHome = home.map(h -> h.resolve("roles")).orElse(INSTALLED.resolve("roles"));
        return Files.isDirectory(fromHome) ? fromHome : Path.of("roles").toAbsolutePath();
    }

    /**
     * How to call pghactl in a hint the user can run as printed: "pghactl" when installed, the checkout's launcher
     * (daemon/pghactl from the checkout's top, else its full path) when run from a source checkout.
     */
    public static String ctl() {
        Optional<Path> home = Optional.ofNullable(System.getenv("PGHA_HOME")).map(Path::of)
                .filter(h -> Files.exists(h.resolve("pom.xml")));
        if (home.isEmpty()) {
            return "pghactl";
        }
        Path launcher = home.get().resolve("daemon/pghactl").toAbsolutePath().normalize();
        Path cwd = Path.of("").toAbsolutePath();
        return launcher.startsWith(cwd) ? cwd.relativize(launcher).toString() : launcher.toString();
    }

    public static String version() {
        String v = Installation.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
