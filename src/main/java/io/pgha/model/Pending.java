package io.pgha.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Something the spec asks of a host that is not in effect there yet, as read back from the engine, and what it waits
 * for. A host reports its spec revision "applied" only while it has none.
 *
 * @param what     a Postgres parameter ("max_connections"), or a part of Patroni's dynamic configuration
 *                 ("patroni ttl")
 * @param running  the value in effect now ("" when it could not be read)
 * @param desired  the value the spec asks for
 * @param waitsFor one of {@link #RELOAD}, {@link #RESTART}, {@link #LEADER_RESTART}, {@link #PATRONI_CONFIG},
 *                 {@link #HAPROXY_RELOAD}, {@link #UNKNOWN}, {@link #UNREADABLE} (then {@code desired} says why)
 */
public record Pending(String what, String running, String desired, @JsonProperty("waits_for") String waitsFor) {
    /** Patroni has not reloaded Postgres with the new value yet (it does on its next loop). */
    public static final String RELOAD = "reload";
    /** This host's Postgres must restart: a rolling restart does it, one data host at a time. */
    public static final String RESTART = "restart";
    /**
     * A hot-standby parameter lowered: a replica keeps the primary's higher value until the leader has restarted
     * with the lower one (PostgreSQL's rule), so this host's own restart would change nothing yet.
     */
    public static final String LEADER_RESTART = "leader restart";
    /** Patroni's dynamic configuration in etcd differs: the leader's agent sends it with PATCH /config. */
    public static final String PATRONI_CONFIG = "patroni config";
    /** HAProxy does not route to the servers the spec names yet. */
    public static final String HAPROXY_RELOAD = "haproxy reload";
    /** Could not be read back, so it cannot be called in effect. */
    public static final String UNREADABLE = "read back";
    /** Postgres does not know the parameter (a typo, or an extension's not loaded): never in effect as written. */
    public static final String UNKNOWN = "unknown parameter";

    public static Pending unreadable(String what, String why) {
        return new Pending(what, "", why, UNREADABLE);
    }

    /** "max_connections 150 -> 120 waits for the leader's restart". */
    @JsonIgnore
    public String describe() {
        String change = what + " " + (running.isEmpty() ? "?" : running) + " -> " + desired;
        return switch (waitsFor) {
            case RELOAD -> change + " waits for Patroni's reload";
            case RESTART -> change + " waits for this host's restart";
            case LEADER_RESTART -> change + " waits for the leader's restart";
            case PATRONI_CONFIG -> change + " waits for the leader's agent to PATCH Patroni's /config";
            case HAPROXY_RELOAD -> change + " waits for HAProxy's reload";
            case UNREADABLE -> what + " could not be read back: " + desired;
            case UNKNOWN -> what + ": Postgres knows no such parameter (" + desired + " is never in effect)";
            default -> change + " waits for " + waitsFor;
        };
    }
}
