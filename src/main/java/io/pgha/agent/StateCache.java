package io.pgha.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgha.dcs.Versioned;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.TextForm;
import io.pgha.resources.FileResource;
import io.pgha.resources.Owner;
import io.pgha.resources.Result;
import io.pgha.resources.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last good copy of an etcd value (the spec, the secrets), on disk and readable by root only, so that the agent
 * keeps converging and supervising while etcd is unreachable. The file holds the revision and the value's text form.
 */
public final class StateCache<T> {
    private static final Logger log = LoggerFactory.getLogger(StateCache.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;
    private final TextForm<T> form;

    StateCache(Path file, TextForm<T> form) {
        this.file = file;
        this.form = form;
    }

    public static StateCache<String> spec(Path stateDir) {
        return new StateCache<>(stateDir.resolve("spec-cache.json"), TextForm.PLAIN);
    }

    public static StateCache<ClusterSecrets> secrets(Path stateDir) {
        return new StateCache<>(stateDir.resolve("secrets-cache.json"), ClusterSecrets.TEXT);
    }

    /** The etcd members' client URLs, comma-separated, as etcd last listed them: agent.yml's list is only a seed. */
    public static StateCache<String> etcdEndpoints(Path stateDir) {
        return new StateCache<>(stateDir.resolve("etcd-endpoints.json"), TextForm.PLAIN);
    }

    /** The cached value; empty when there is none or it cannot be read (the next good value replaces it). */
    public Optional<Versioned<T>> read() {
        try {
            if (!Files.exists(file)) {
                return Optional.empty();
            }
            var node = JSON.readTree(Files.readString(file));
            return Optional.of(new Versioned<>(form.read(node.path("value").asText()), node.path("revision").asLong()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Writes the copy; a failure is logged and nothing else: the agent goes on with what it has. */
    void keep(Versioned<T> value) {
        try {
            write(value);
        } catch (IOException e) {
            log.error("cannot keep revision {} in {}: {}", value.modRevision(), file, e.getMessage());
        }
    }

    void write(Versioned<T> value) throws IOException {
        String text = JSON.createObjectNode().put("revision", value.modRevision()).put("value",
                form.write(value.value())) + "\n";
        Result result = FileResource.of(file, text, new Owner("root", "root", 0600)).apply();
        if (result.status() == Status.FAILED) {
            throw new IOException(result.message());
        }
    }
}
