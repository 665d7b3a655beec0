package io.pgha.resources;

import io.pgha.model.ProgramVersion;
import io.pgha.supervise.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The versions of the installed programs, asked of the binaries themselves ({@code --version}) and remembered until
 * the binary file changes (a package upgrade), so a converge pass runs no command for them.
 */
public final class InstalledVersions implements ProgramVersions {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private record Seen(FileTime modified, ProgramVersion version) {
    }

    private final Map<Path, Seen> seen = new ConcurrentHashMap<>();

    /** Fails when the binary runs but prints no version. */
    @Override
    public Optional<ProgramVersion> of(Path binary) throws IOException {
        if (!Files.isExecutable(binary)) {
            return Optional.empty();
        }
        FileTime modified = Files.getLastModifiedTime(binary);
        Seen known = seen.get(binary);
        if (known != null && known.modified().equals(modified)) {
            return Optional.of(known.version());
        }
        // HAProxy answers -v, pgBackRest its command "version"; the others --version.
        String flag = switch (binary.getFileName().toString()) {
            case "haproxy" -> "-v";
            case "pgbackrest" -> "version";
            default -> "--version";
        };
        Command.Outcome out = Command.run(List.of(binary.toString(), flag), Map.of("LC_ALL", "C"), TIMEOUT);
        Optional<ProgramVersion> version = out.ok() ? ProgramVersion.find(out.output()) : Optional.empty();
        if (version.isEmpty()) {
            throw new IOException(binary + " " + flag + ": expected a version, found (exit " + out.exitCode() + ") "
                    + out.lastLine());
        }
        seen.put(binary, new Seen(modified, version.get()));
        return version;
    }
}
