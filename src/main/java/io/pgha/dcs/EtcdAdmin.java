package io.pgha.dcs;

import io.pgha.model.EtcdAlarm;
import io.pgha.model.EtcdMember;
import io.pgha.model.EtcdMemberStatus;
import java.util.List;
import java.util.Map;

/**
 * Looking after etcd itself, beside what the cluster stores in it ({@link Dcs}): members, alarms, compaction and
 * defragmentation, users and permissions, and the removal of Patroni's keys for a whole-cluster restore. Every call
 * has a deadline and fails with a typed {@link DcsException}.
 */
public interface EtcdAdmin {

    /** etcd's members as it lists them now. */
    List<EtcdMember> members() throws DcsException;

    /** Adds a non-voting member that will start at {@code peerUrl}; the members with it. */
    List<EtcdMember> addLearner(String peerUrl) throws DcsException;

    /**
     * Makes a learner a voting member, asking the raft leader at {@code leaderClientUrl}; etcd refuses while the
     * learner has not caught up with the leader.
     */
    void promote(long memberId, String leaderClientUrl) throws DcsException;

    void removeMember(long memberId) throws DcsException;

    /** What the member at {@code clientUrl} says of itself. */
    EtcdMemberStatus memberStatus(String clientUrl) throws DcsException;

    /** Defragments the member at {@code clientUrl}; it serves nothing meanwhile. */
    void defragment(String clientUrl) throws DcsException;

    /** The alarms raised on any member. */
    List<EtcdAlarm> alarms() throws DcsException;

    void disarm(EtcdAlarm alarm) throws DcsException;

    /** Drops the history before the current revision (keys keep their values); the revision compacted at. */
    long compact() throws DcsException;

    /**
     * Makes etcd's users and roles what {@code access} says (adding, granting and revoking; a host that left keeps
     * the least an agent needs, {@link EtcdAccess#withDeparted}) and turns authentication on. Only admin can, once
     * it is on.
     */
    void ensureAccess(EtcdAccess access, Map<String, String> passwords) throws DcsException;

    /**
     * Adds {@code rootUsers} where missing, each with the root role, and turns authentication on; takes nothing from
     * anyone, so that it cannot undo an apply running at the same time.
     */
    void authenticationOn(java.util.Collection<String> rootUsers) throws DcsException;

    /** Deletes a user if there is one (its tokens with it): a revoked host's agent, Patroni's login before a rotation. */
    void deleteUser(String user) throws DcsException;

    /** Deletes a role if there is one: a revoked host's agent's. */
    void deleteRole(String role) throws DcsException;

    /** Sets an etcd user's password (Patroni's, after a rotation). */
    void changePassword(String user, String password) throws DcsException;

    /**
     * Removes Patroni's keys of this cluster (leader, members, initialize, config): only for a cluster restore, once
     * every member's Patroni has stopped, so that the restored cluster bootstraps anew. Returns how many went.
     */
    long deletePatroniKeys() throws DcsException;
}
