package io.pgha.dcs;

import io.pgha.model.HostStatus;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every host's status as stored, by host name in key order; a key that holds no readable status is named in
 * {@code unreadable} with the reason, so that one bad value hides no other host.
 */
public record HostStatuses(Map<String, HostStatus> readable, Map<String, String> unreadable) {
    public HostStatuses {
        readable = Collections.unmodifiableMap(new LinkedHashMap<>(readable));
        unreadable = Collections.unmodifiableMap(new LinkedHashMap<>(unreadable));
    }

    /** The Patroni version each host that runs one reports, by host. */
    public Map<String, String> patroniVersions() {
        Map<String, String> out = new LinkedHashMap<>();
        readable.forEach((host, s) -> {
            if (s.health() != null && s.health().patroni() != null && s.health().patroni().version() != null) {
                out.put(host, s.health().patroni().version());
            }
        });
        return out;
    }

    /** How many hosts have a status key at all. */
    public int size() {
        return readable.size() + unreadable.size();
    }
}
