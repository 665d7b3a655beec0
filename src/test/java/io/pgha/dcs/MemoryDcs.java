package io.pgha.dcs;

import io.pgha.model.ClusterSecrets;
import io.pgha.model.EarlyFailover;
import io.pgha.model.LeaderChange;
import io.pgha.model.LeaderVerdict;
import io.pgha.model.HostRequest;
import io.pgha.model.Maintenance;
import io.pgha.model.PoolerPause;
import io.pgha.model.HostStatus;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The agent's store kept in memory, for unit tests of what uses it (the loop, the publisher): revisions, watches,
 * leases and locks as etcd has them, and an outage at the flip of a switch. Watchers hear of a change on the writer's
 * thread, as the real one's hear on the client's. Integration tests use the real etcd.
 */
public final class MemoryDcs implements Dcs {
    private long revision;
    private Optional<Versioned<String>> spec = Optional.empty();
    private Optional<Versioned<ClusterSecrets>> secrets = Optional.empty();
    private final Map<String, Versioned<HostRequest>> requests = new HashMap<>();
    private final Map<String, String> usedJoinTokens = new HashMap<>();
    private Versioned<io.pgha.model.RevokedHosts> revoked;
    private Versioned<PoolerPause> poolerPause;
    private Versioned<Maintenance> maintenance;
    private Versioned<String> leaderKey;
    private final Map<String, LeaderVerdict> verdicts = new LinkedHashMap<>();
    private EarlyFailover lastEarlyFailover;
    private final List<LeaderChange> leaderChanges = new java.util.ArrayList<>();
    private boolean earlyFailoverGuard;
    private int endLeaderClaimCalls;
    private final Map<String, HostStatus> statuses = new LinkedHashMap<>();
    private final List<HostStatus> statusWrites = new ArrayList<>();
    private final List<Long> statusLeases = new ArrayList<>();
    private final Map<String, String> locks = new HashMap<>();
    private final List<MemoryWatch> watches = new CopyOnWriteArrayList<>();
    private long nextLease = 1;
    private boolean reachable = true;
    private boolean loseLease;
    private RuntimeException failNextPut;

    private record MemoryWatch(String key, Runnable onChange, Consumer<DcsException> onError) implements Watch {
        @Override
        public void close() {
        }
    }

    /** etcd gone (every call fails as unreachable, every watch ends) or back. */
    public void reachable(boolean up) {
        List<MemoryWatch> ended = List.of();
        synchronized (this) {
            reachable = up;
            if (!up) {
                ended = List.copyOf(watches);
                watches.clear();
            }
        }
        ended.forEach(w -> w.onError().accept(new DcsException.Unreachable("memory etcd is down", null)));
    }

    /** The next keepalive finds the lease gone. */
    public synchronized void loseLease() {
        loseLease = true;
    }

    /** The next status write throws this. */
    public synchronized void failNextPut(RuntimeException e) {
        failNextPut = e;
    }

    public synchronized List<HostStatus> statusWrites() {
        return List.copyOf(statusWrites);
    }

    public synchronized long leaseOfLastWrite() {
        return statusLeases.isEmpty() ? 0 : statusLeases.get(statusLeases.size() - 1);
    }

    /** Stores a spec as an operator's apply would, whatever revision it is at now; the new revision. */
    public long storeSpec(String text) {
        long at;
        synchronized (this) {
            at = ++revision;
            spec = Optional.of(new Versioned<>(text, at));
        }
        tell("spec");
        return at;
    }

    /** Stores secrets as a rotation would; the new revision. */
    public long storeSecrets(ClusterSecrets value) {
        long at;
        synchronized (this) {
            at = ++revision;
            secrets = Optional.of(new Versioned<>(value, at));
        }
        tell("secrets");
        return at;
    }

    private void tell(String key) {
        watches.stream().filter(w -> w.key().equals(key)).forEach(w -> w.onChange().run());
    }

    private synchronized void check() throws DcsException {
        if (!reachable) {
            throw new DcsException.Unreachable("memory etcd is down", null);
        }
    }

    private synchronized Optional<Versioned<String>> storedSpec() {
        return spec;
    }

    @Override
    public synchronized Optional<Versioned<String>> spec() throws DcsException {
        check();
        return spec;
    }

    @Override
    public long applySpec(String text, long expectedRevision) throws DcsException {
        compare("spec", () -> spec, expectedRevision);
        return storeSpec(text);
    }

    /** Fails as etcd's compare-and-swap does when the stored value is not at {@code expected} (0: absent). */
    private synchronized void compare(String key, Supplier<Optional<? extends Versioned<?>>> stored, long expected)
            throws DcsException {
        check();
        if (stored.get().map(Versioned::modRevision).orElse(0L) != expected) {
            throw new DcsException.RevisionConflict(key, expected);
        }
    }

    @Override
    public Watch watchSpec(long afterRevision, Consumer<Optional<Versioned<String>>> onChange,
                           Consumer<DcsException> onError) {
        return watch("spec", () -> onChange.accept(storedSpec()), onError);
    }

    @Override
    public synchronized Optional<Versioned<ClusterSecrets>> secrets() throws DcsException {
        check();
        return secrets;
    }

    @Override
    public long putSecrets(ClusterSecrets value, long expectedRevision) throws DcsException {
        compare("secrets", () -> secrets, expectedRevision);
        return storeSecrets(value);
    }

    @Override
    public Watch watchSecrets(long afterRevision, Runnable onChange, Consumer<DcsException> onError) {
        return watch("secrets", onChange, onError);
    }

    @Override
    public synchronized Optional<Versioned<HostRequest>> request(String host) throws DcsException {
        check();
        return Optional.ofNullable(requests.get(host));
    }

    @Override
    public synchronized boolean useJoinToken(String nonce, String record, long ttlSeconds) throws DcsException {
        check();
        return usedJoinTokens.putIfAbsent(nonce, record) == null;
    }

    @Override
    public synchronized Optional<Versioned<io.pgha.model.RevokedHosts>> revoked() throws DcsException {
        check();
        return Optional.ofNullable(revoked);
    }

    @Override
    public void revokeHost(String host, io.pgha.model.RevokedHosts.Revocation revocation) throws DcsException {
        synchronized (this) {
            check();
            io.pgha.model.RevokedHosts now = revoked == null ? io.pgha.model.RevokedHosts.NONE : revoked.value();
            revoked = new Versioned<>(now.with(host, revocation), ++revision);
        }
        tell("revoked");
    }

    @Override
    public Watch watchRevoked(long afterRevision, Runnable onChange, Consumer<DcsException> onError) {
        return watch("revoked", onChange, onError);
    }

    @Override
    public void putRequest(String host, HostRequest request) throws DcsException {
        synchronized (this) {
            check();
            requests.put(host, new Versioned<>(request, ++revision));
        }
        tell("request/" + host);
    }

    @Override
    public Watch watchRequest(String host, long afterRevision, Runnable onChange, Consumer<DcsException> onError) {
        return watch("request/" + host, onChange, onError);
    }

    @Override
    public synchronized Optional<Versioned<Maintenance>> maintenance() throws DcsException {
        check();
        return Optional.ofNullable(maintenance);
    }

    @Override
    public void putMaintenance(Maintenance value) throws DcsException {
        synchronized (this) {
            check();
            maintenance = new Versioned<>(value, ++revision);
        }
        tell("maintenance");
    }

    @Override
    public void deleteMaintenance() throws DcsException {
        synchronized (this) {
            check();
            maintenance = null;
        }
        tell("maintenance");
    }

    @Override
    public Watch watchMaintenance(long afterRevision, Runnable onChange, Consumer<DcsException> onError) {
        return watch("maintenance", onChange, onError);
    }

    @Override
    public synchronized Optional<Versioned<PoolerPause>> poolerPause() throws DcsException {
        check();
        return Optional.ofNullable(poolerPause);
    }

    /** The lease is not kept here: tests that need it to expire run against etcd. */
    @Override
    public void putPoolerPause(PoolerPause pause, long lease) throws DcsException {
        synchronized (this) {
            check();
            poolerPause = new Versioned<>(pause, ++revision);
        }
        tell("pooler-pause");
    }

    @Override
    public void deletePoolerPause() throws DcsException {
        synchronized (this) {
            check();
            poolerPause = null;
        }
        tell("pooler-pause");
    }

    @Override
    public Watch watchPoolerPause(long afterRevision, Runnable onChange, Consumer<DcsException> onError) {
        return watch("pooler-pause", onChange, onError);
    }

    /** Patroni takes the leader key, as it would in etcd. */
    public void putLeaderKey(String member) {
        synchronized (this) {
            leaderKey = new Versioned<>(member, ++revision);
        }
        tell("leader");
    }

    /** How often an agent tried to end a leader's claim. */
    public synchronized int endLeaderClaimCalls() {
        return endLeaderClaimCalls;
    }

    @Override
    public synchronized Optional<Versioned<String>> leaderKey() throws DcsException {
        check();
        return Optional.ofNullable(leaderKey);
    }

    @Override
    public Watch watchLeaderKey(long afterRevision, Runnable onChange, Consumer<DcsException> onError) {
        return watch("leader", onChange, onError);
    }

    @Override
    public synchronized void putVerdict(LeaderVerdict verdict, long lease) throws DcsException {
        check();
        verdicts.put(verdict.observer(), verdict);
    }

    @Override
    public synchronized Map<String, LeaderVerdict> verdicts() throws DcsException {
        check();
        return Map.copyOf(verdicts);
    }

    /** The guard's lease is not kept here: once taken, it holds for the test. */
    @Override
    public boolean endLeaderClaim(Versioned<String> leader, EarlyFailover record, long guardSeconds)
            throws DcsException {
        synchronized (this) {
            check();
            endLeaderClaimCalls++;
            if (!leader.equals(leaderKey) || earlyFailoverGuard) {
                return false;
            }
            leaderKey = null;
            earlyFailoverGuard = true;
            lastEarlyFailover = record;
            revision++;
        }
        tell("leader");
        return true;
    }

    @Override
    public synchronized void recordLeaderChange(LeaderChange change) throws DcsException {
        check();
        leaderChanges.add(change);
    }

    @Override
    public synchronized List<LeaderChange> leaderChanges() throws DcsException {
        check();
        return List.copyOf(leaderChanges);
    }

    @Override
    public synchronized Optional<EarlyFailover> lastEarlyFailover() throws DcsException {
        check();
        return Optional.ofNullable(lastEarlyFailover);
    }

    private Watch watch(String key, Runnable onChange, Consumer<DcsException> onError) {
        MemoryWatch w = new MemoryWatch(key, onChange, onError);
        synchronized (this) {
            if (!reachable) {
                onError.accept(new DcsException.Unreachable("memory etcd is down", null));
                return w;
            }
            watches.add(w);
        }
        return () -> watches.remove(w);
    }

    @Override
    public synchronized HostStatuses hostStatuses() throws DcsException {
        check();
        return new HostStatuses(statuses, Map.of());
    }

    @Override
    public synchronized void putStatus(HostStatus status, long lease) throws DcsException {
        if (failNextPut != null) {
            RuntimeException e = failNextPut;
            failNextPut = null;
            throw e;
        }
        check();
        statuses.put(status.host(), status);
        statusWrites.add(status);
        statusLeases.add(lease);
    }

    @Override
    public synchronized long grantLease(long ttlSeconds) throws DcsException {
        check();
        return nextLease++;
    }

    @Override
    public synchronized void keepAlive(long lease) throws DcsException {
        check();
        if (loseLease) {
            loseLease = false;
            throw new DcsException.LeaseLost("lease " + lease + " is gone", null);
        }
    }

    @Override
    public synchronized void revokeLease(long lease) throws DcsException {
        check();
    }

    @Override
    public Lock restartLock(String holder, long ttlSeconds) {
        return lock("restart", holder);
    }

    @Override
    public Lock etcdLock(String holder, long ttlSeconds) {
        return lock("etcd", holder);
    }

    private Lock lock(String name, String holder) {
        return () -> {
            synchronized (this) {
                if (!reachable) {
                    throw new IOException("memory etcd is down");
                }
                if (locks.putIfAbsent(name, holder) != null) {
                    return Optional.empty();
                }
            }
            return Optional.of(new Lock.Held() {
                @Override
                public void refresh() {
                }

                @Override
                public void close() {
                    synchronized (MemoryDcs.this) {
                        locks.remove(name, holder);
                    }
                }
            });
        };
    }

    @Override
    public void useEndpoints(List<String> endpoints) {
    }

    @Override
    public List<String> endpoints() {
        return List.of("memory");
    }

    @Override
    public void close() {
    }
}
