package io.pgha.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The cluster's generated passwords, made by the first apply (names added later are made by the next apply), kept in
 * their own etcd key, never in the spec. A rotation keeps the value it replaces as {@code NAME.previous} until the next
 * rotation, so that whoever must change a password (the leader's agent) can still log in with the old one.
 */
public final class ClusterSecrets {
    /**
     * superuser, replication, rewind: PostgreSQL roles Patroni uses; monitor: the agents' probes; patroni_rest:
     * Patroni's unsafe REST endpoints; patroni_etcd: Patroni's etcd user.
     */
    public static final List<String> NAMES = List.of("superuser", "replication", "rewind", "monitor", "patroni_rest",
            "patroni_etcd");
    private static final String PREVIOUS = ".previous";
    private static final String STAGED = ".next";
    /** Which of Patroni's two etcd users holds patroni_etcd: a rotation moves Patroni to the other one. */
    private static final String PATRONI_ETCD_USER = "patroni_etcd.user";
    public static final List<String> PATRONI_ETCD_USERS = List.of("patroni", "patroni-2");
    /** The secrets that are PostgreSQL roles' passwords: the leader's agent sets them before anyone uses them. */
    public static final List<String> ROLE_PASSWORDS = List.of("superuser", "replication", "rewind", "monitor");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, String> values;

    private ClusterSecrets(Map<String, String> values) {
        this.values = Map.copyOf(values);
    }

    /** Secrets with exactly these values (tests, and secrets read back). */
    public static ClusterSecrets of(Map<String, String> values) {
        return new ClusterSecrets(values);
    }

    public static ClusterSecrets generate(SecureRandom random) {
        return new ClusterSecrets(Map.of()).withMissing(random);
    }

    /** These secrets plus a new value for every name in {@link #NAMES} they lack (after an upgrade added names). */
    public ClusterSecrets withMissing(SecureRandom random) {
        Map<String, String> out = new LinkedHashMap<>(values);
        for (String name : NAMES) {
            out.computeIfAbsent(name, n -> newPassword(random));
        }
        return new ClusterSecrets(out);
    }

    public boolean lacksAny() {
        return !values.keySet().containsAll(NAMES);
    }

    /**
     * A rotation's first step for a role's password: the new value staged as {@code NAME.next}, which only the
     * leader's agent uses (it sets the role to it); everyone else goes on with the current one.
     */
    public ClusterSecrets staging(String name, SecureRandom random) {
        Map<String, String> out = new LinkedHashMap<>(values);
        out.put(name + STAGED, newPassword(random));
        return new ClusterSecrets(out);
    }

    /**
     * A rotation's last step: the staged value (or, with none staged, a new one) becomes the value; the old one stays
     * readable as {@link #previous(String)} until the next rotation.
     */
    public ClusterSecrets rotated(String name, SecureRandom random) {
        Map<String, String> out = new LinkedHashMap<>(values);
        String old = values.get(name);
        if (old != null) {
            out.put(name + PREVIOUS, old);
        }
        String staged = out.remove(name + STAGED);
        out.put(name, staged != null ? staged : newPassword(random));
        return new ClusterSecrets(out);
    }

    /** The etcd user Patroni logs in as with {@code patroni_etcd}. */
    public String patroniEtcdUser() {
        return values.getOrDefault(PATRONI_ETCD_USER, PATRONI_ETCD_USERS.get(0));
    }

    /**
     * patroni_etcd's rotation: a new password for the other of Patroni's two etcd users, whom Patroni moves to; the
     * user it leaves keeps the old password until it is deleted, so that no Patroni is without a login meanwhile.
     */
    public ClusterSecrets rotatedPatroniEtcd(SecureRandom random) {
        Map<String, String> out = new LinkedHashMap<>(rotated("patroni_etcd", random).values);
        String current = patroniEtcdUser();
        out.put(PATRONI_ETCD_USER, PATRONI_ETCD_USERS.get(current.equals(PATRONI_ETCD_USERS.get(0)) ? 1 : 0));
        return new ClusterSecrets(out);
    }

    /** A value staged for {@code name} by a rotation under way. */
    public Optional<String> staged(String name) {
        return Optional.ofNullable(values.get(name + STAGED));
    }

    /** The value {@code name} had before its last rotation. */
    public Optional<String> previous(String name) {
        return Optional.ofNullable(values.get(name + PREVIOUS));
    }

    /** 32 random bytes, URL-safe base64: no quote, colon, dollar or backslash to escape anywhere. */
    private static String newPassword(SecureRandom random) {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** The secrets as JSON, the form etcd and the agent's cache keep them in. */
    public static final TextForm<ClusterSecrets> TEXT = TextForm.of(ClusterSecrets::toJson, ClusterSecrets::fromJson);

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
