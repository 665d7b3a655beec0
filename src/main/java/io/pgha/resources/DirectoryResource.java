package io.pgha.resources;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A directory with owner and mode; missing parents are created root-owned. */
public record DirectoryResource(Path path, Owner owner) implements Resource {

    @Override
    public String id() {
        return "directory:" + path;
    }

    @Override
    public Result checkApply(boolean apply) {
        List<String> diff = differences();
        if (diff.isEmpty()) {
            return Result.ok(id());
        }
        if (!apply) {
            return Result.wouldChange(id(), diff);
        }
        try {
            Files.createDirectories(path);
            owner.applyTo(path);
            return Result.changed(id(), String.join("; ", diff), diff);
        } catch (IOException | RuntimeException e) {
            return Result.failed(id(), "cannot create or set owner/mode: " + e.getMessage(), diff);
        }
    }

    private List<String> differences() {
        try {
            if (!Files.isDirectory(path)) {
                return List.of(path + ": missing (would create, " + owner.user() + ":" + owner.group() + " "
                        + owner.modeText() + ")");
            }
            List<String> diff = new ArrayList<>();
            owner.differences(path).forEach(d -> diff.add(path + ": " + d));
            return diff;
        } catch (IOException e) {
            return List.of(path + ": cannot inspect: " + e.getMessage());
        }
    }

    /**
     * A tree the agent made for itself (a restored copy, a scratch cluster) removed with everything under it; nothing
     * when it is not there. Never for a data directory of the cluster: those are kept, not deleted.
     */
    public static void removeTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (java.util.stream.Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
