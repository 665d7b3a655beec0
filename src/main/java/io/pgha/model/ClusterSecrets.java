package io.pgha.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The cluster's generated passwords. Made once by the first apply, kept in their own etcd key, never in the spec. */
public final class ClusterSecrets {
    public static final List<String> NAMES = List.of("superuser", "replication", "rewind");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, String> values;

    private ClusterSecrets(Map<String, String> values) {
        this.values = Map.copyOf(values);
    }

    /** 32 random bytes each, URL-safe base64: no quote, colon or backslash to escape anywhere. */
    public static ClusterSecrets generate(SecureRandom random) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String name : NAMES) {
            byte[] bytes = new byte[32];
            random.nextBytes(bytes);
            values.put(name, Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
        }
        return new ClusterSecrets(values);
    }

    public static ClusterSecrets fromJson(String json) throws JsonProcessingException {
        Map<String, String> values = new LinkedHashMap<>();
        JSON.readTree(json).fields().forEachRemaining(e -> values.put(e.getKey(), e.getValue().asText()));
        return new ClusterSecrets(values);
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(values);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map of strings always serialises", e);
        }
    }

    public Optional<String> get(String name) {
        return Optional.ofNullable(values.get(name));
    }

    /** Never the values: this object may end up in a log line by accident. */
    @Override
    public String toString() {
        return "ClusterSecrets" + values.keySet();
    }
}
