package io.pgha.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgha.dcs.Versioned;
import io.pgha.resources.FileResource;
import io.pgha.resources.Owner;
import io.pgha.resources.Result;
import io.pgha.resources.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The last good copy of an etcd value (the spec, the secrets), on disk and readable by root only, so that the agent
 * keeps converging and supervising while etcd is unreachable.
 */
public final class StateCache {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;

    StateCache(Path file) {
        this.file = file;
    }

    public static StateCache spec(Path stateDir) {
        return new StateCache(stateDir.resolve("spec-cache.json"));
    }

    public static StateCache secrets(Path stateDir) {
        return new StateCache(stateDir.resolve("secrets-cache.json"));
    }

    /** The etcd members' client URLs, comma-separated, as etcd last listed them: agent.yml's list is only a seed. */
    public static StateCache etcdEndpoints(Path stateDir) {
        return new StateCache(stateDir.resolve("etcd-endpoints.json"));
    }

    public Optional<Versioned> read() {
        try {
            if (!Files.exists(file)) {
                return Optional.empty();
            }
            var node = JSON.readTree(Files.readString(file));
            return Optional.of(new Versioned(node.path("value").asText(), node.path("revision").asLong()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    void write(Versioned value) throws IOException {
        String text = JSON.createObjectNode().put("revision", value.modRevision()).put("value", value.value()) + "\n";
        Result result = FileResource.of(file, text, new Owner("root", "root", 0600)).apply();
        if (result.status() == Status.FAILED) {
            throw new IOException(result.message());
        }
    }
}
