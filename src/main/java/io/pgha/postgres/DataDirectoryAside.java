package io.pgha.postgres;

import io.pgha.model.ClusterRestore;
import io.pgha.resources.Resource;
import io.pgha.resources.Result;
import io.pgha.resources.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A data directory moved aside, whole and kept, for a cluster restore: {@code data} becomes {@code
 * data.before-restore-<id>} (a rename on the same file system, nothing copied or deleted). Refused while a
 * postmaster still runs on it. An empty or missing data directory is already right.
 */
public record DataDirectoryAside(Path dataDir, ClusterRestore restore) implements Resource {

    public Path aside() {
        return dataDir.resolveSibling(dataDir.getFileName() + ".before-restore-" + restore.id());
    }

    @Override
    public String id() {
        return restore.resourceId();
    }

    @Override
    public Result checkApply(boolean apply) {
        try {
            if (!Files.isDirectory(dataDir) || isEmpty(dataDir)) {
                // Said on every pass, not only the one that moved it: pghactl reads where the old data is kept.
                return Files.isDirectory(aside()) ? new Result(id(), Status.OK, "kept in " + aside(), List.of())
                        : Result.ok(id());
            }
            List<String> diff = List.of(dataDir + ": would move to " + aside() + " (kept)");
            if (!apply) {
                return Result.wouldChange(id(), diff);
            }
            Optional<Long> postmaster = postmaster(dataDir);
            if (postmaster.isPresent()) {
                return Result.failed(id(), "Postgres still runs on " + dataDir + " as pid " + postmaster.get()
                        + "; it is moved aside once stopped", diff);
            }
            if (Files.exists(aside())) {
                return Result.failed(id(), "expected " + aside() + " not to exist, found it: " + dataDir
                        + " is left where it is", diff);
            }
            Files.move(dataDir, aside(), StandardCopyOption.ATOMIC_MOVE);
            return Result.changed(id(), "moved " + dataDir + " to " + aside(), diff);
        } catch (IOException e) {
            return Result.failed(id(), "cannot move " + dataDir + " aside: " + e.getMessage());
        }
    }

    static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.findAny().isEmpty();
        }
    }

    /** The pid in postmaster.pid's first line when that process is alive. */
    static Optional<Long> postmaster(Path dataDir) throws IOException {
        Path pidFile = dataDir.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return Optional.empty();
        }
        String first = Files.readAllLines(pidFile).stream().findFirst().orElse("").strip();
        try {
            long pid = Long.parseLong(first);
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(p -> pid);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
