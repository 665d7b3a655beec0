package io.pgha.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * The cluster's maintenance mode, as {@code pghactl pause} stores it and {@code pghactl resume} deletes it. While it
 * exists Patroni is paused (no automatic failover) and the agents start no rolling restart, replica repair, etcd
 * defragmentation, scheduled backup or restore drill; they still converge files and report.
 *
 * @param reason what the operator said, possibly empty
 * @param since  when the pause began (epoch milliseconds)
 * @param by     where pghactl ran (host name), for the status
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Maintenance(String reason, long since, String by) {
    /** Longer reasons are refused: the reason shows in every host's one-line status. */
    public static final int MAX_REASON = 200;
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final TextForm<Maintenance> TEXT = TextForm.of(Maintenance::toJson, Maintenance::fromJson);

    /** What the agents hold off while paused, for messages. */
    public static final String HELD = "rolling restarts, replica repairs, etcd defragmentations, scheduled backups and"
            + " drills";

    public Maintenance {
        reason = Objects.requireNonNullElse(reason, "");
        by = Objects.requireNonNullElse(by, "");
    }

    /** "PAUSED since 2026-12-06T02:10:00Z (upgrading the SAN)". */
    public String describe() {
        return "PAUSED since " + Instant.ofEpochMilli(since).truncatedTo(ChronoUnit.SECONDS)
                + (by.isEmpty() ? "" : " by " + by) + (reason.isEmpty() ? "" : " (" + reason + ")");
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a pause is plain data", e);
        }
    }

    public static Maintenance fromJson(String json) throws IOException {
        Maintenance m = JSON.readValue(json, Maintenance.class);
        if (m == null || m.since() <= 0) {
            throw new IOException("expected a maintenance record with 'since', found " + json);
        }
        return m;
    }
}
