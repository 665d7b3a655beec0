package io.pgha.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Objects;

/**
 * One observer's word on the leader, for fast failover: stored on the observer's own lease, so that an observer that
 * dies or loses etcd stops counting. Written when it changes, not at each look.
 *
 * @param observer  the host that looked
 * @param leader    the member it looked at (the holder of Patroni's leader key, as it last read it)
 * @param reachable false only once neither its Postgres nor its Patroni answered for the whole of
 *                  {@code patroni.fast_failover_after}
 * @param since     when (epoch ms, the observer's clock) the leader was first seen as the verdict says
 * @param postgres  what the last look at its Postgres port found ("accepts", or the failure)
 * @param patroni   what the last look at its Patroni found ("answers", the failure, or "not asked" when
 *                  Postgres accepted)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record LeaderVerdict(String observer, String leader, boolean reachable, long since, String postgres,
                            String patroni) {
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final TextForm<LeaderVerdict> TEXT = TextForm.of(LeaderVerdict::toJson, LeaderVerdict::fromJson);

    public LeaderVerdict {
        observer = Objects.requireNonNullElse(observer, "");
        leader = Objects.requireNonNullElse(leader, "");
        postgres = Objects.requireNonNullElse(postgres, "");
        patroni = Objects.requireNonNullElse(patroni, "");
    }

    /** The same word as {@code other}, whatever the details of the last look. */
    public boolean sameWord(LeaderVerdict other) {
        return other != null && leader.equals(other.leader) && reachable == other.reachable;
    }

    /** One line of evidence: who saw what, since when. */
    public String describe() {
        return observer + ": " + leader + (reachable ? " reachable" : " unreachable") + " since "
                + java.time.Instant.ofEpochMilli(since) + " (postgres: " + postgres + "; patroni: " + patroni + ")";
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a verdict is plain data", e);
        }
    }

    public static LeaderVerdict fromJson(String json) throws IOException {
        LeaderVerdict v = JSON.readValue(json, LeaderVerdict.class);
        if (v == null || v.observer().isEmpty() || v.leader().isEmpty()) {
            throw new IOException("expected a leader verdict with an observer and a leader, found " + json);
        }
        return v;
    }
}
