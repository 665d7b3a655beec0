package io.pgha.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Objects;
import java.util.Set;

/**
 * A job pghactl asks of one host's agent, stored as JSON under {@code /pgha/<cluster>/hosts/<host>/request}; the agent
 * runs each id once and reports it among its status's backup jobs.
 *
 * @param kind   {@link #BACKUP}, {@link #DRILL}, {@link #RESTORE}, {@link #REMOVE} (the restored copy),
 *               {@link #STANZA_UPGRADE} (to the repository host, after a major upgrade), or to a data host
 *               {@link #CLUSTER_RESTORE} (see {@link ClusterRestore}) or {@link #UPGRADE} (see {@link PostgresUpgrade})
 * @param type   a backup's type: full, diff or incr; a cluster restore's or major upgrade's phase
 * @param time   a restore's target, an ISO-8601 instant; empty for the latest the repository can give
 * @param set    the backup label a cluster restore restores; a major upgrade's majors, as {@code 17:18}
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
public record HostRequest(String id, String kind, String type, String time, String set) {
    public static final String BACKUP = "backup";
    public static final String DRILL = "drill";
    public static final String RESTORE = "restore";
    public static final String REMOVE = "remove-restore";
    public static final String CLUSTER_RESTORE = "cluster-restore";
    public static final String UPGRADE = "upgrade";
    public static final String STANZA_UPGRADE = "stanza-upgrade";
    private static final Set<String> KINDS = Set.of(BACKUP, DRILL, RESTORE, REMOVE, CLUSTER_RESTORE, UPGRADE,
            STANZA_UPGRADE);
    public static final Set<String> BACKUP_TYPES = Set.of("full", "diff", "incr");
    private static final ObjectMapper JSON = new ObjectMapper();

    public HostRequest {
        id = Objects.requireNonNullElse(id, "");
        kind = Objects.requireNonNullElse(kind, "");
        type = Objects.requireNonNullElse(type, "");
        time = Objects.requireNonNullElse(time, "");
        set = Objects.requireNonNullElse(set, "");
    }

    public HostRequest(String id, String kind, String type, String time) {
        this(id, kind, type, time, "");
    }

    /** A request as JSON, the form etcd keeps it in. */
    public static final TextForm<HostRequest> TEXT = TextForm.of(HostRequest::toJson, HostRequest::fromJson);

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a request is plain data", e);
        }
    }

    public static HostRequest fromJson(String json) throws IOException {
        HostRequest r = JSON.readValue(json, HostRequest.class);
        if (r == null || r.id().isEmpty() || !KINDS.contains(r.kind())) {
            throw new IOException("expected a request with an id and a kind " + new java.util.TreeSet<>(KINDS)
                    + ", found " + json);
        }
        return r;
    }
}
