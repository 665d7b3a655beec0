package io.pgha.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Objects;

/**
 * pghactl's word to every lb host's pooler during a switchover, stored as JSON on a lease of pghactl's (if pghactl
 * dies, the key goes and the poolers resume): pause now; once {@code resumeOn} is set, resume as soon as this host's
 * HAProxy sends writes to that member and to no other.
 *
 * @param id       this switchover's, which each lb host reports back once its pooler is paused
 * @param resumeOn the new leader; empty while the switchover runs
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
public record PoolerPause(String id, @JsonProperty("resume_on") String resumeOn) {
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final TextForm<PoolerPause> TEXT = TextForm.of(PoolerPause::toJson, PoolerPause::fromJson);

    public PoolerPause {
        id = Objects.requireNonNullElse(id, "");
        resumeOn = Objects.requireNonNullElse(resumeOn, "");
    }

    public PoolerPause resumingOn(String leader) {
        return new PoolerPause(id, leader);
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a pause is plain data", e);
        }
    }

    public static PoolerPause fromJson(String json) throws IOException {
        PoolerPause p = JSON.readValue(json, PoolerPause.class);
        if (p == null || p.id().isEmpty()) {
            throw new IOException("expected a pooler pause with an id, found " + json);
        }
        return p;
    }
}
