package io.pgha.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgha.postgres.PatroniClient;
import io.pgha.resources.Resource;
import io.pgha.resources.Result;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Patroni's dynamic configuration (the DCS part: timers, synchronous mode, Postgres parameters). patroni.yml only
 * seeds it at bootstrap; afterwards the agent on the leader compares it with the spec and sends one PATCH /config
 * per change. On a replica there is nothing to do: Patroni shares the DCS config cluster-wide.
 *
 * <p>{@code peers} are the other data hosts' Patroni: each applies a new dynamic configuration at its next loop, up
 * to loop_wait after the PATCH. Sending them the same patch once the DCS holds it wakes their loop at once: Patroni
 * writes nothing when a patch changes nothing, and wakes its loop either way (patroni/api.py, do_PATCH_config).
 * Their clients are made only for a PATCH (each holds an HTTP client of its own; a pass builds this resource anew).
 */
public record PatroniConfigResource(PatroniClient patroni, Supplier<List<PatroniClient>> peers, ObjectNode desired)
        implements Resource {
    private static final Logger LOG = LoggerFactory.getLogger(PatroniConfigResource.class);

    /** Maps whose keys the spec owns entirely: a key missing from the spec is removed. */
    private static final List<String> OWNED_MAPS = List.of("parameters");

    @Override
    public String id() {
        return "patroni-config:" + patroni.address();
    }

    @Override
    public Result checkApply(boolean apply) {
        try {
            if (!patroni.member().isLeader()) {
                return Result.ok(id());
            }
            ObjectNode patch = patch(desired, patroni.config(), "");
            if (patch.isEmpty()) {
                return Result.ok(id());
            }
            List<String> diff = describe(patch);
            if (!apply) {
                return Result.wouldChange(id(), diff);
            }
            patroni.patchConfig(patch);
            wakePeers(patch);
            return Result.changed(id(), "PATCH /config " + String.join(", ", diff), diff);
        } catch (IOException e) {
            String reason = "Patroni REST API not answering yet: " + e.getMessage();
            return Result.failed(id(), reason, List.of(reason));
        }
    }

    /** Best effort: a peer that misses it applies the change at its next loop all the same. */
    private void wakePeers(ObjectNode patch) {
        for (PatroniClient peer : peers.get()) {
            try {
                peer.patchConfig(patch);
            } catch (IOException e) {
                LOG.info("Patroni at {} not woken for the new dynamic configuration (it applies it at its next loop):"
                        + " {}", peer.address(), e.getMessage());
            }
        }
    }

    /** A JSON merge patch that turns {@code actual} into {@code desired} for the keys desired names. */
    public static ObjectNode patch(JsonNode desired, JsonNode actual, String field) {
        ObjectNode patch = JsonNodeFactory.instance.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = desired.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode want = e.getValue();
            JsonNode have = actual.path(e.getKey());
            if (want.isObject()) {
                ObjectNode sub = patch(want, have.isObject() ? have : JsonNodeFactory.instance.objectNode(), e.getKey());
                if (!sub.isEmpty()) {
                    patch.set(e.getKey(), sub);
                }
            } else if (have.isMissingNode() || have.isNull() || !have.asText().equals(want.asText())) {
                patch.set(e.getKey(), want);
            }
        }
        if (OWNED_MAPS.contains(field)) {
            actual.fieldNames().forEachRemaining(name -> {
                if (!desired.has(name)) {
                    patch.putNull(name);
                }
            });
        }
        return patch;
    }

    /** "postgresql.parameters.max_connections = 200" lines for a patch. */
    static List<String> describe(JsonNode patch) {
        List<String> out = new ArrayList<>();
        describe(patch, "", out);
        return out;
    }

    private static void describe(JsonNode node, String prefix, List<String> out) {
        node.fields().forEachRemaining(e -> {
            String name = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
            if (e.getValue().isObject()) {
                describe(e.getValue(), name, out);
            } else {
                out.add(name + (e.getValue().isNull() ? " removed" : " = " + e.getValue().asText()));
            }
        });
    }
}
