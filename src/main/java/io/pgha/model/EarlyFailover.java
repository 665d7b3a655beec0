package io.pgha.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import java.util.Objects;

/**
 * The record of one early failover: an agent ended a leader's claim in etcd before its lease ran out, because a
 * quorum of observers had seen the leader unreachable. Kept until the next one, for the status and the log.
 *
 * @param leader   the member whose claim was ended
 * @param by       the host whose agent ended it
 * @param at       when (epoch ms, that agent's clock)
 * @param evidence the observers' verdicts it acted on
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record EarlyFailover(String leader, String by, long at, List<LeaderVerdict> evidence) {
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final TextForm<EarlyFailover> TEXT = TextForm.of(EarlyFailover::toJson, EarlyFailover::fromJson);

    public EarlyFailover {
        leader = Objects.requireNonNullElse(leader, "");
        by = Objects.requireNonNullElse(by, "");
        evidence = evidence == null ? List.of() : List.copyOf(evidence);
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("an early failover's record is plain data", e);
        }
    }

    public static EarlyFailover fromJson(String json) throws IOException {
        EarlyFailover f = JSON.readValue(json, EarlyFailover.class);
        if (f == null || f.leader().isEmpty()) {
            throw new IOException("expected an early failover with a leader, found " + json);
        }
        return f;
    }
}
