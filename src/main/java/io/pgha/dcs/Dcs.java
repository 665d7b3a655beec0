package io.pgha.dcs;

import io.pgha.model.EtcdAlarm;
import io.pgha.model.EtcdMember;
import io.pgha.model.EtcdMemberStatus;
import io.pgha.postgres.RollingRestart;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Everything the agent, {@code pghactl}, the lab and the tests need from the DCS (etcd) for one cluster, in its
 * terms rather than etcd's. Every call has a deadline and fails with a typed {@link DcsException}. Authentication and
 * TLS belong behind this interface, in its one implementation, {@link EtcdDcs}.
 */
public interface Dcs extends AutoCloseable {

    /** The cluster spec (YAML text) and its generation, if one was applied. */
    Optional<Versioned> spec() throws DcsException;

    /**
     * Stores a spec if the stored one is still at {@code expectedRevision} (0: only if there is none); returns the
     * new generation.
     */
    long applySpec(String text, long expectedRevision) throws DcsException;

    /**
     * Follows the spec key from after {@code afterRevision}: {@code onChange} hears each new value, or empty when the
     * key was deleted; {@code onError} hears of an interruption (the caller reads the key again). Both are called on
     * the DCS client's threads and must only hand the news on, never block.
     */
    Watch watchSpec(long afterRevision, Consumer<Optional<Versioned>> onChange, Consumer<DcsException> onError);

    /**
     * Calls {@code onChange} when the secrets key changes after {@code afterRevision}, and {@code onError} when the
     * watch ends with an error (etcd refuses it to a host that may not read the secrets). Both on the DCS client's
     * threads: hand the news on, never block.
     */
    Watch watchSecrets(long afterRevision, Runnable onChange, Consumer<DcsException> onError);

    /** The generated passwords (JSON), if the first apply has made them. */
    Optional<Versioned> secrets() throws DcsException;

    /**
     * Stores the secrets if the stored ones are still at {@code expectedRevision} (0: only if there are none); the new
     * revision, which is the secrets' generation.
     */
    long putSecrets(String json, long expectedRevision) throws DcsException;

    /**
     * Makes etcd's users and roles what {@code access} says (adding, granting and revoking; a host that left keeps
     * the least an agent needs, {@link EtcdAccess#withDeparted}) and turns authentication on. Only admin can, once
     * it is on.
     */
    void ensureAccess(EtcdAccess access, Map<String, String> passwords) throws DcsException;

    /** Sets an etcd user's password (Patroni's, after a rotation). */
    void changePassword(String user, String password) throws DcsException;

    /** The job pghactl last asked of {@code host}'s agent (a JSON {@link io.pgha.model.HostRequest}), if any. */
    Optional<Versioned> request(String host) throws DcsException;

    /** Asks {@code host}'s agent for a job; replaces any earlier request to it. */
    void putRequest(String host, String json) throws DcsException;

    /** Watches {@code host}'s request key: every change runs {@code onChange}, a broken watch {@code onError}. */
    Watch watchRequest(String host, long afterRevision, Runnable onChange, Consumer<DcsException> onError);

    /**
     * Removes Patroni's keys of this cluster (leader, members, initialize, config): only for a cluster restore, once
     * every member's Patroni has stopped, so that the restored cluster bootstraps anew. Returns how many went.
     */
    long deletePatroniKeys() throws DcsException;

    /** Every host's status as stored (JSON text), by host name. */
    Map<String, String> hostStatuses() throws DcsException;

    /** Writes this host's status attached to {@code lease}, so that it goes when the lease does. */
    void putStatus(String host, String json, long lease) throws DcsException;

    long grantLease(long ttlSeconds) throws DcsException;

    /** Refreshes a lease; {@link DcsException.LeaseLost} when etcd no longer knows it. */
    void keepAlive(long lease) throws DcsException;

    void revokeLease(long lease) throws DcsException;

    /** The cluster-wide lock that rolling restarts take turns through, held on a lease of {@code ttlSeconds}. */
    RollingRestart.Lock restartLock(String holder, long ttlSeconds);

    /** A lock on a lease for looking after etcd itself: defragmentation, a member's restart. */
    RollingRestart.Lock etcdLock(String holder, long ttlSeconds);

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

    /** Connects to {@code endpoints} from now on: the members etcd lists, when they differ from agent.yml's. */
    void useEndpoints(List<String> endpoints);

    /** Where this client connects, for messages. */
    List<String> endpoints();

    @Override
    void close();

    /** A running watch; closing it stops the notifications. */
    interface Watch extends AutoCloseable {
        @Override
        void close();
    }
}
