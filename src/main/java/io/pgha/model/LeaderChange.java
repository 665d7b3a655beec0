package io.pgha.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Objects;

/**
 * Why the leader changed, recorded by whoever made it change: Patroni's history says when and to whom, but its reason
 * is Postgres' ("no recovery target specified") for every kind. {@code pghactl history} joins the two.
 *
 * @param why      {@link #SWITCHOVER}, {@link #FAILOVER}, {@link #EARLY_FAILOVER} or {@link #RESTORE}
 * @param from     the leader before, empty when not known
 * @param to       the leader asked for, empty when Patroni picks it (an early failover)
 * @param at       when it was asked (epoch ms, the asker's clock)
 * @param by       who asked: "pghactl", or the agent of a host ("agent on data1")
 * @param detail   a few words more ("rolling restart", "pghactl restart", the restore's target)
 * @param timeline the timeline it began, when known (a restore); 0 otherwise, and the time tells
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record LeaderChange(String why, String from, String to, long at, String by, String detail, long timeline) {
    public static final String SWITCHOVER = "switchover";
    public static final String FAILOVER = "failover";
    public static final String EARLY_FAILOVER = "early failover";
    public static final String RESTORE = "restore";
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final TextForm<LeaderChange> TEXT = TextForm.of(LeaderChange::toJson, LeaderChange::fromJson);

    public LeaderChange {
        why = Objects.requireNonNullElse(why, "");
        from = Objects.requireNonNullElse(from, "");
        to = Objects.requireNonNullElse(to, "");
        by = Objects.requireNonNullElse(by, "");
        detail = Objects.requireNonNullElse(detail, "");
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a leader change's record is plain data", e);
        }
    }

    public static LeaderChange fromJson(String json) throws IOException {
        LeaderChange c = JSON.readValue(json, LeaderChange.class);
        if (c == null || c.why().isEmpty()) {
            throw new IOException("expected a leader change with a why, found " + json);
        }
        return c;
    }
}
