package io.pgha.agent;

import io.pgha.model.EtcdMember;
import io.pgha.model.EtcdMemberStatus;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Since when each etcd member has been seen, pass after pass, answering without errors, with a raft leader and with
 * everything applied that the leader had. A member back from a partition answers at once but applies what it missed
 * only after, and etcd frees the space of a compaction it applied later still: until it has been steady a while, its
 * unused space says nothing yet. Confined to the loop thread.
 */
final class SteadyMembers {
    private final Map<Long, Long> since = new HashMap<>();

    /** One look at every member; a member seen unsteady, or not at all, starts again. */
    void observe(Map<EtcdMember, Optional<EtcdMemberStatus>> statuses, EtcdMemberStatus leader, long nowNanos) {
        since.keySet().retainAll(statuses.keySet().stream().map(EtcdMember::id).toList());
        statuses.forEach((m, s) -> {
            boolean steady = s.isPresent() && s.get().healthy() && s.get().appliedIndex() >= leader.appliedIndex();
            if (steady) {
                since.putIfAbsent(m.id(), nowNanos);
            } else {
                since.remove(m.id());
            }
        });
    }

    /** The members among {@code members} not yet steady for {@code settle} at {@code nowNanos}. */
    List<EtcdMember> unsettled(List<EtcdMember> members, long nowNanos, Duration settle) {
        return members.stream().filter(m -> {
            Long from = since.get(m.id());
            return from == null || nowNanos - from < settle.toNanos();
        }).toList();
    }
}
