package io.pgha.model;

import java.util.List;

/**
 * One etcd member's own account of itself (etcd's Status call).
 *
 * @param dbBytes      the database file's size, which the quota limits
 * @param dbInUseBytes what of it holds data; the rest is free pages a defragmentation gives back
 * @param errors       what the member reports wrong (a raised alarm, say)
 */
public record EtcdMemberStatus(long memberId, long leaderId, long raftTerm, long appliedIndex, long dbBytes,
                               long dbInUseBytes, boolean learner, List<String> errors, String version) {
    public EtcdMemberStatus {
        errors = List.copyOf(errors);
    }

    public boolean isLeader() {
        return memberId == leaderId;
    }

    /** The member reports no error and knows a raft leader. */
    public boolean healthy() {
        return errors.isEmpty() && leaderId != 0;
    }
}
