package io.pgha.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Objects;

/**
 * What an agent knows of etcd as a whole and did to it: the client endpoints it uses (the members etcd lists), its own
 * member's figures as that member reports them, the alarms raised, and the defragmentations it ran (on any member).
 *
 * @param member           this host's member, absent on a host without one or when it did not answer
 * @param alarms           every alarm raised in the cluster ("NOSPACE on etcd2")
 * @param defragmentations the last few this agent ran, oldest first
 * @param recoveries       the last few alarms this agent recovered, oldest first
 * @param membership       the membership step this agent is at or waits for, empty when there is none
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record EtcdReport(List<String> endpoints, Member member, List<String> alarms, List<Defrag> defragmentations,
                         List<Recovery> recoveries, String membership) {
    public static final EtcdReport NONE = new EtcdReport(List.of(), null, List.of(), List.of(), List.of(), "");

    public EtcdReport {
        endpoints = List.copyOf(Objects.requireNonNullElse(endpoints, List.of()));
        alarms = List.copyOf(Objects.requireNonNullElse(alarms, List.of()));
        defragmentations = List.copyOf(Objects.requireNonNullElse(defragmentations, List.of()));
        recoveries = List.copyOf(Objects.requireNonNullElse(recoveries, List.of()));
        membership = Objects.requireNonNullElse(membership, "");
    }

    /**
     * A member's own figures (etcd's Status call); {@code leader} names the raft leader as this member sees it. The
     * quota in effect is in the health part, from the member's /metrics.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Member(String name, String id, boolean learner, @JsonProperty("db_bytes") long dbBytes,
                         @JsonProperty("db_in_use_bytes") long dbInUseBytes, String leader,
                         @JsonProperty("raft_term") long raftTerm,
                         @JsonProperty("applied_index") long appliedIndex,
                         @JsonProperty("last_defrag") Long lastDefragMillis) {
    }

    /**
     * One defragmentation: of which member (and whether it was the raft leader then), when (epoch milliseconds), the
     * database file before and after.
     */
    public record Defrag(String member, boolean leader, long start, long end,
                         @JsonProperty("before_bytes") long beforeBytes, @JsonProperty("after_bytes") long afterBytes,
                         String reason) {
    }

    /**
     * An alarm this agent recovered: etcd refuses every write while NOSPACE is raised, so no status can say so then;
     * this says afterwards when it was seen, when it was gone, and what was done.
     */
    public record Recovery(String alarm, long seen, long recovered, String steps) {
    }

    /** The steady part: moving figures travel with the heartbeat. */
    public EtcdReport steady() {
        Member m = member == null ? null : new Member(member.name(), member.id(), member.learner(), 0, 0,
                member.leader(), 0, 0, member.lastDefragMillis());
        return new EtcdReport(endpoints, m, alarms, defragmentations, recoveries, membership);
    }
}
