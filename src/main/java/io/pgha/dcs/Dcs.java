package io.pgha.dcs;

import io.pgha.model.ClusterSecrets;
import io.pgha.model.EarlyFailover;
import io.pgha.model.LeaderChange;
import io.pgha.model.LeaderVerdict;
import io.pgha.model.HostRequest;
import io.pgha.model.HostStatus;
import io.pgha.model.Maintenance;
import io.pgha.model.RevokedHosts;
import io.pgha.model.PoolerPause;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * What the agent, {@code pghactl}, the lab and the tests store in and follow from the DCS (etcd) for one cluster, in
 * their terms rather than etcd's: the spec, the secrets, the hosts' statuses and requests, leases and locks. Values
 * go in and come out typed; how they are stored stays behind this interface. Every call has a deadline and fails with
 * a typed {@link DcsException}. Looking after etcd itself is {@link EtcdAdmin}'s.
 */
public interface Dcs extends AutoCloseable {

    /** The cluster spec (YAML text, as the operator wrote it) and its generation, if one was applied. */
    Optional<Versioned<String>> spec() throws DcsException;

    /**
     * Stores a spec if the stored one is still at {@code expectedRevision} (0: only if there is none); returns the
     * new generation.
     */
    long applySpec(String text, long expectedRevision) throws DcsException;

    /**
     * Follows the spec key from after {@code afterRevision} (0: from now): {@code onChange} hears each new value, or
     * empty when the key was deleted; {@code onError} hears of an interruption (the caller reads the key again). Both are called on
     * the DCS client's threads and must only hand the news on, never block.
     */
    Watch watchSpec(long afterRevision, Consumer<Optional<Versioned<String>>> onChange,
                    Consumer<DcsException> onError);

    /** The generated passwords, if the first apply has made them. */
    Optional<Versioned<ClusterSecrets>> secrets() throws DcsException;

    /**
     * Stores the secrets if the stored ones are still at {@code expectedRevision} (0: only if there are none); the new
     * revision, which is the secrets' generation.
     */
    long putSecrets(ClusterSecrets secrets, long expectedRevision) throws DcsException;

    /**
     * Calls {@code onChange} when the secrets key changes after {@code afterRevision} (0: from now), and
     * {@code onError} when the watch ends with an error (etcd refuses it to a host that may not read the secrets). Both on the DCS client's
     * threads: hand the news on, never block.
     */
    Watch watchSecrets(long afterRevision, Runnable onChange, Consumer<DcsException> onError);

    /** The job pghactl last asked of {@code host}'s agent, if any. */
    Optional<Versioned<HostRequest>> request(String host) throws DcsException;

    /**
     * Records the join token {@code nonce} as used, with {@code record} (who, when), for {@code ttlSeconds} (until the
     * token expires); true only for the first of any number of uses, racing or not.
     */
    boolean useJoinToken(String nonce, String record, long ttlSeconds) throws DcsException;

    /** The hosts pghactl revoked, if any ever was. */
    Optional<Versioned<RevokedHosts>> revoked() throws DcsException;

    /** The names of the hosts pghactl revoked. */
    default java.util.Set<String> revokedHosts() throws DcsException {
        return revoked().map(v -> v.value().names()).orElse(java.util.Set.of());
    }

    /** Adds {@code host}'s revocation to the others (a compare-and-swap: two revokes at once both count). */
    void revokeHost(String host, RevokedHosts.Revocation revocation) throws DcsException;

    /** Follows the revoked hosts from after {@code afterRevision}; as {@link #watchRequest}. */
    Watch watchRevoked(long afterRevision, Runnable onChange, Consumer<DcsException> onError);

    /** Asks {@code host}'s agent for a job; replaces any earlier request to it. */
    void putRequest(String host, HostRequest request) throws DcsException;

    /**
     * Watches {@code host}'s request key from after {@code afterRevision} (0: from now): every change runs
     * {@code onChange}, a broken watch {@code onError}.
     */
    Watch watchRequest(String host, long afterRevision, Runnable onChange, Consumer<DcsException> onError);

    /** The maintenance mode, while the cluster is paused. */
    Optional<Versioned<Maintenance>> maintenance() throws DcsException;

    /** Pauses the cluster (pghactl, with the admin identity). */
    void putMaintenance(Maintenance maintenance) throws DcsException;

    /** Ends the pause. */
    void deleteMaintenance() throws DcsException;

    /** Follows the maintenance key from after {@code afterRevision}; as {@link #watchRequest}. */
    Watch watchMaintenance(long afterRevision, Runnable onChange, Consumer<DcsException> onError);

    /** pghactl's pause of the poolers, while a switchover runs. */
    Optional<Versioned<PoolerPause>> poolerPause() throws DcsException;

    /** Stores the pause on {@code lease}: if pghactl dies, the key goes and the poolers resume. */
    void putPoolerPause(PoolerPause pause, long lease) throws DcsException;

    void deletePoolerPause() throws DcsException;

    /** Follows the pause key from after {@code afterRevision}; as {@link #watchRequest}. */
    Watch watchPoolerPause(long afterRevision, Runnable onChange, Consumer<DcsException> onError);

    /** Patroni's leader key: the leading member's name and the revision that wrote it; empty when nobody leads. */
    Optional<Versioned<String>> leaderKey() throws DcsException;

    /** Follows the leader key from after {@code afterRevision}; as {@link #watchRequest}. */
    Watch watchLeaderKey(long afterRevision, Runnable onChange, Consumer<DcsException> onError);

    /** Stores this observer's verdict on the leader on {@code lease}: it counts while the observer's agent lives. */
    void putVerdict(LeaderVerdict verdict, long lease) throws DcsException;

    /** Every observer's verdict as stored, by observer. Unreadable ones are left out. */
    Map<String, LeaderVerdict> verdicts() throws DcsException;

    /**
     * Ends a leader's claim for fast failover, in one transaction: deletes Patroni's leader key if it still holds
     * {@code leader} as read (same value, same revision: a leader that took it again is left alone) and no early
     * failover happened within {@code guardSeconds}; records {@code record} and takes the guard for
     * {@code guardSeconds}. True if it did; false if the key moved on or the guard is held.
     */
    boolean endLeaderClaim(Versioned<String> leader, EarlyFailover record, long guardSeconds) throws DcsException;

    /** The last early failover, if there was one. */
    Optional<EarlyFailover> lastEarlyFailover() throws DcsException;

    /** Records why the leader changed; only the newest {@link #LEADER_CHANGES_KEPT} are kept. */
    void recordLeaderChange(LeaderChange change) throws DcsException;

    /** The recorded leader changes, oldest first. Unreadable ones are left out. */
    List<LeaderChange> leaderChanges() throws DcsException;

    int LEADER_CHANGES_KEPT = 100;

    /** Every host's status as stored. */
    HostStatuses hostStatuses() throws DcsException;

    /** Writes this host's status attached to {@code lease}, so that it goes when the lease does. */
    void putStatus(HostStatus status, long lease) throws DcsException;

    long grantLease(long ttlSeconds) throws DcsException;

    /** Refreshes a lease; {@link DcsException.LeaseLost} when etcd no longer knows it. */
    void keepAlive(long lease) throws DcsException;

    void revokeLease(long lease) throws DcsException;

    /** The cluster-wide lock that rolling restarts take turns through, held on a lease of {@code ttlSeconds}. */
    Lock restartLock(String holder, long ttlSeconds);

    /** A lock on a lease for looking after etcd itself: defragmentation, a member's restart. */
    Lock etcdLock(String holder, long ttlSeconds);

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
