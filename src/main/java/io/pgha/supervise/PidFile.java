package io.pgha.supervise;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * What the agent records about a child it started, so that a new agent can adopt it. The start time (from
 * /proc/PID/stat) guards against a recycled pid being mistaken for our program.
 */
record PidFile(long pid, long startTicks, String restartDigest, String reloadDigest) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The record, or empty when there is no pid file. A file that exists but cannot be read or makes no sense is an
     * error, not "not running": taking it for that would start a second copy beside the first.
     */
    static Optional<PidFile> read(Path path) throws IOException {
        if (!Files.exists(path)) {
            return Optional.empty();
        }
        try {
            var node = JSON.readTree(Files.readString(path));
            long pid = node == null ? 0 : node.path("pid").asLong();
            if (pid <= 0) {
                throw new IOException("no pid in it");
            }
            return Optional.of(new PidFile(pid, node.path("start_ticks").asLong(),
                    node.path("restart_digest").asText(), node.path("reload_digest").asText()));
        } catch (IOException e) {
            throw new IOException("pid file " + path + " cannot be read: " + e.getMessage(), e);
        }
    }

    void write(Path path) throws IOException {
        var node = JSON.createObjectNode().put("pid", pid).put("start_ticks", startTicks)
                .put("restart_digest", restartDigest).put("reload_digest", reloadDigest);
        Files.createDirectories(path.getParent());
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
        Files.writeString(tmp, node.toString() + "\n");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** True when pid is alive and is still the process that was recorded (same start time). */
    boolean isAlive() {
        return Procs.isSame(pid, startTicks);
    }
}
