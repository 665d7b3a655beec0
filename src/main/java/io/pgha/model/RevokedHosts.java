package io.pgha.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The hosts {@code pghactl host revoke} shut out, one JSON document in etcd: by name, what the etcd hosts refuse to
 * sign for and etcd has no user for; by address, what every data host's Patroni and PostgreSQL refuse.
 *
 * @param hosts host name to its revocation
 */
public record RevokedHosts(Map<String, Revocation> hosts) {
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final RevokedHosts NONE = new RevokedHosts(Map.of());
    public static final TextForm<RevokedHosts> TEXT = TextForm.of(RevokedHosts::toJson, RevokedHosts::fromJson);

    /**
     * One revoked host.
     *
     * @param address its address in the spec when it was revoked; empty when the spec did not list it
     * @param why     who revoked it and when
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Revocation(String address, String why) {
        public Revocation {
            address = Objects.requireNonNullElse(address, "");
            why = Objects.requireNonNullElse(why, "");
        }
    }

    public RevokedHosts {
        hosts = java.util.Collections.unmodifiableMap(new TreeMap<>(Objects.requireNonNullElse(hosts, Map.of())));
    }

    public Set<String> names() {
        return hosts.keySet();
    }

    /** These revocations and {@code host}'s; a host revoked again keeps its first record. */
    public RevokedHosts with(String host, Revocation revocation) {
        Map<String, Revocation> all = new TreeMap<>(hosts);
        all.putIfAbsent(host, revocation);
        return new RevokedHosts(all);
    }

    /**
     * The addresses to refuse: the revoked hosts', except one the spec now gives a host that is not revoked (a host
     * rebuilt under a new name often takes the old one's address, and must not be shut out by it).
     */
    public Set<String> refusedAddresses(ClusterSpec spec) {
        Set<String> inUse = new TreeSet<>();
        spec.hosts().forEach((name, h) -> {
            if (!hosts.containsKey(name)) {
                inUse.add(h.address());
            }
        });
        Set<String> refused = new TreeSet<>();
        hosts.values().stream().map(Revocation::address)
                .filter(a -> !a.isEmpty() && Values.checkIpv4(a) == null && !inUse.contains(a)).forEach(refused::add);
        return refused;
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("revocations are plain data", e);
        }
    }

    public static RevokedHosts fromJson(String json) throws IOException {
        RevokedHosts read = JSON.readValue(json, RevokedHosts.class);
        if (read == null) {
            throw new IOException("expected the revoked hosts as a JSON object, found " + json);
        }
        return read;
    }
}
