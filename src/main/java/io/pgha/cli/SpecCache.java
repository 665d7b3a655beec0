package io.pgha.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgha.resource.FileResource;
import io.pgha.resource.Owner;
import io.pgha.resource.Result;
import io.pgha.resource.Status;
import io.pgha.store.Versioned;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** The last valid spec, on disk, so that the agent keeps supervising with etcd unreachable. */
final class SpecCache {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;

    SpecCache(Path stateDir) {
        this.file = stateDir.resolve("spec-cache.json");
    }

    Optional<Versioned> read() {
        try {
            if (!Files.exists(file)) {
                return Optional.empty();
            }
            var node = JSON.readTree(Files.readString(file));
            return Optional.of(new Versioned(node.path("spec").asText(), node.path("revision").asLong()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    void write(Versioned spec) throws IOException {
        String text = JSON.createObjectNode().put("revision", spec.modRevision()).put("spec", spec.value()) + "\n";
        Result result = FileResource.of(file, text, new Owner("root", "root", 0600), FileResource.Effect.RESTART).apply();
        if (result.status() == Status.FAILED) {
            throw new IOException(result.message());
        }
    }
}
