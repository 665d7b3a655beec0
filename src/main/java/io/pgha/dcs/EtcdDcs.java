package io.pgha.dcs;

import io.etcd.jetcd.watch.WatchEvent;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.EarlyFailover;
import io.pgha.model.LeaderChange;
import io.pgha.model.LeaderVerdict;
import io.pgha.model.HostRequest;
import io.pgha.model.HostStatus;
import io.pgha.model.Maintenance;
import io.pgha.model.PoolerPause;
import io.pgha.model.RevokedHosts;
import io.pgha.model.TextForm;
import io.pgha.tls.TlsFiles;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The cluster's store ({@link Dcs}) on etcd, through jetcd; {@link #admin()} looks after etcd itself on the same
 * connection. Values are stored as JSON (the spec as the operator's YAML); that encoding stays in this package.
 */
public final class EtcdDcs implements Dcs {
    private static final String STATUS = "/status";
    private final EtcdConnection etcd;
    private final Keys keys;

    /**
     * A client of the cluster's etcd over TLS, presenting {@code tls}'s certificate: its common name is the etcd user
     * (admin for pghactl, agent-HOST for an agent). Fails, naming the file, when a certificate or key is unusable.
     */
    public EtcdDcs(String cluster, List<String> endpoints, Duration timeout, TlsFiles tls) throws IOException {
        this(new EtcdConnection(cluster, endpoints, timeout, tls, Optional.empty()));
    }

    private EtcdDcs(EtcdConnection etcd) {
        this.etcd = etcd;
        this.keys = etcd.keys;
    }

    /**
     * The same client for a one-shot command (pghactl): its network threads end when it is closed, so that the JVM
     * can exit at once after it (see {@link OwnEventLoops}). A long-running process uses the constructor.
     */
    public static EtcdDcs forCommand(String cluster, List<String> endpoints, Duration timeout, TlsFiles tls)
            throws IOException {
        return new EtcdDcs(new EtcdConnection(cluster, endpoints, timeout, tls, Optional.of(new OwnEventLoops())));
    }

    /** etcd's administration, through this client (and with its identity: most calls need admin's). */
    public EtcdAdmin admin() {
        return new EtcdAdministration(etcd);
    }

    @Override
    public Optional<Versioned<String>> spec() throws DcsException {
        return etcd.get(keys.spec());
    }

    @Override
    public long applySpec(String text, long expectedRevision) throws DcsException {
        return etcd.putIfRevision(keys.spec(), text, expectedRevision);
    }

    @Override
    public Dcs.Watch watchSpec(long afterRevision, Consumer<Optional<Versioned<String>>> onChange,
                               Consumer<DcsException> onError) {
        return etcd.watch(keys.spec(), afterRevision, event -> onChange.accept(
                event.getEventType() == WatchEvent.EventType.DELETE
                        ? Optional.empty() : Optional.of(EtcdConnection.versioned(event.getKeyValue()))), onError);
    }

    @Override
    public Optional<Versioned<ClusterSecrets>> secrets() throws DcsException {
        return typed(keys.secrets(), ClusterSecrets.TEXT);
    }

    /** The value at {@code key} in its form, with its revision; {@link DcsException.Malformed} if not in it. */
    private <T> Optional<Versioned<T>> typed(String key, TextForm<T> form) throws DcsException {
        Optional<Versioned<String>> stored = etcd.get(key);
        if (stored.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Versioned<>(form.read(stored.get().value()), stored.get().modRevision()));
        } catch (IOException e) {
            throw new DcsException.Malformed(key, stored.get().modRevision(), e);
        }
    }

    @Override
    public long putSecrets(ClusterSecrets secrets, long expectedRevision) throws DcsException {
        return etcd.putIfRevision(keys.secrets(), secrets.toJson(), expectedRevision);
    }

    @Override
    public Dcs.Watch watchSecrets(long afterRevision, Runnable onChange, Consumer<DcsException> onError) {
        return etcd.watch(keys.secrets(), afterRevision, event -> onChange.run(), onError);
    }

    @Override
    public Optional<Versioned<HostRequest>> request(String host) throws DcsException {
        return typed(keys.request(host), HostRequest.TEXT);
    }

    @Override
    public boolean useJoinToken(String nonce, String record, long ttlSeconds) throws DcsException {
        long lease = etcd.grantLease(Math.max(ttlSeconds, 60));
        boolean first = etcd.putIfAbsent(keys.usedJoinToken(nonce), record, lease);
        if (!first) {
            etcd.revokeLease(lease);
        }
        return first;
    }

    @Override
    public Optional<Versioned<RevokedHosts>> revoked() throws DcsException {
        return typed(keys.revoked(), RevokedHosts.TEXT);
    }

    @Override
    public void revokeHost(String host, RevokedHosts.Revocation revocation) throws DcsException {
        // Bounded: each conflict is another pghactl's revocation that got in first, and is kept.
        for (int attempt = 1; ; attempt++) {
            Optional<Versioned<RevokedHosts>> now = revoked();
            RevokedHosts next = now.map(Versioned::value).orElse(RevokedHosts.NONE).with(host, revocation);
            try {
                etcd.putIfRevision(keys.revoked(), RevokedHosts.TEXT.write(next),
                        now.map(Versioned::modRevision).orElse(0L));
                return;
            } catch (DcsException.RevisionConflict e) {
                if (attempt == 5) {
                    throw e;
                }
            }
        }
    }

    @Override
    public Dcs.Watch watchRevoked(long afterRevision, Runnable onChange, Consumer<DcsException> onError) {
        return etcd.watch(keys.revoked(), afterRevision, event -> onChange.run(), onError);
    }

    @Override
    public void putRequest(String host, HostRequest request) throws DcsException {
        etcd.put(keys.request(host), request.toJson(), 0);
    }

    @Override
    public Dcs.Watch watchRequest(String host, long afterRevision, Runnable onChange, Consumer<DcsException> onError) {
        return etcd.watch(keys.request(host), afterRevision, event -> onChange.run(), onError);
    }

    @Override
    public Optional<Versioned<Maintenance>> maintenance() throws DcsException {
        return typed(keys.maintenance(), Maintenance.TEXT);
    }

    @Override
    public void putMaintenance(Maintenance maintenance) throws DcsException {
        etcd.put(keys.maintenance(), maintenance.toJson(), 0);
    }

    @Override
    public void deleteMaintenance() throws DcsException {
        etcd.delete(keys.maintenance());
    }

    @Override
    public Dcs.Watch watchMaintenance(long afterRevision, Runnable onChange, Consumer<DcsException> onError) {
        return etcd.watch(keys.maintenance(), afterRevision, event -> onChange.run(), onError);
    }

    @Override
    public Optional<Versioned<PoolerPause>> poolerPause() throws DcsException {
        return typed(keys.poolerPause(), PoolerPause.TEXT);
    }

    @Override
    public void putPoolerPause(PoolerPause pause, long lease) throws DcsException {
        etcd.put(keys.poolerPause(), pause.toJson(), lease);
    }

    @Override
    public void deletePoolerPause() throws DcsException {
        etcd.delete(keys.poolerPause());
    }

    @Override
    public Dcs.Watch watchPoolerPause(long afterRevision, Runnable onChange, Consumer<DcsException> onError) {
        return etcd.watch(keys.poolerPause(), afterRevision, event -> onChange.run(), onError);
    }

    @Override
    public Optional<Versioned<String>> leaderKey() throws DcsException {
        return etcd.get(keys.patroniLeader());
    }

    @Override
    public Dcs.Watch watchLeaderKey(long afterRevision, Runnable onChange, Consumer<DcsException> onError) {
        return etcd.watch(keys.patroniLeader(), afterRevision, event -> onChange.run(), onError);
    }

    @Override
    public void putVerdict(LeaderVerdict verdict, long lease) throws DcsException {
        etcd.put(keys.verdict(verdict.observer()), verdict.toJson(), lease);
    }

    @Override
    public Map<String, LeaderVerdict> verdicts() throws DcsException {
        Map<String, LeaderVerdict> out = new LinkedHashMap<>();
        String prefix = keys.verdictsPrefix();
        for (Map.Entry<String, Versioned<String>> e : etcd.getPrefix(prefix).entrySet()) {
            try {
                out.put(e.getKey().substring(prefix.length()), LeaderVerdict.fromJson(e.getValue().value()));
            } catch (IOException ex) {
                // An observer whose word cannot be read does not count.
            }
        }
        return out;
    }

    @Override
    public boolean endLeaderClaim(Versioned<String> leader, EarlyFailover record, long guardSeconds)
            throws DcsException {
        return etcd.endLeaderClaim(leader, record.toJson(), guardSeconds);
    }

    @Override
    public Optional<EarlyFailover> lastEarlyFailover() throws DcsException {
        return typed(keys.earlyFailover(), EarlyFailover.TEXT).map(Versioned::value);
    }

    @Override
    public void recordLeaderChange(LeaderChange change) throws DcsException {
        etcd.put(keys.leaderChange(change.at(), change.by()), change.toJson(), 0);
        List<String> stored = new java.util.ArrayList<>(etcd.getPrefix(keys.leaderChangesPrefix()).keySet());
        java.util.Collections.sort(stored);
        for (String old : stored.subList(0, Math.max(0, stored.size() - LEADER_CHANGES_KEPT))) {
            etcd.delete(old);
        }
    }

    @Override
    public List<LeaderChange> leaderChanges() throws DcsException {
        List<LeaderChange> out = new java.util.ArrayList<>();
        new java.util.TreeMap<>(etcd.getPrefix(keys.leaderChangesPrefix())).values().forEach(v -> {
            try {
                out.add(LeaderChange.fromJson(v.value()));
            } catch (IOException e) {
                // A record that cannot be read explains nothing.
            }
        });
        return out;
    }

    @Override
    public HostStatuses hostStatuses() throws DcsException {
        Map<String, HostStatus> readable = new LinkedHashMap<>();
        Map<String, String> unreadable = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : statusTexts().entrySet()) {
            try {
                readable.put(e.getKey(), HostStatus.fromJson(e.getValue()));
            } catch (IOException ex) {
                unreadable.put(e.getKey(), "unreadable status: " + ex.getMessage());
            }
        }
        return new HostStatuses(readable, unreadable);
    }

    @Override
    public void putStatus(HostStatus status, long lease) throws DcsException {
        etcd.put(keys.status(status.host()), status.toJson(), lease);
    }

    @Override
    public long grantLease(long ttlSeconds) throws DcsException {
        return etcd.grantLease(ttlSeconds);
    }

    @Override
    public void keepAlive(long lease) throws DcsException {
        etcd.keepAlive(lease);
    }

    @Override
    public void revokeLease(long lease) throws DcsException {
        etcd.revokeLease(lease);
    }

    @Override
    public Lock restartLock(String holder, long ttlSeconds) {
        return new EtcdLock(etcd, keys.restartLock(), holder, ttlSeconds);
    }

    @Override
    public Lock etcdLock(String holder, long ttlSeconds) {
        return new EtcdLock(etcd, keys.etcdLock(), holder, ttlSeconds);
    }

    @Override
    public void useEndpoints(List<String> endpoints) {
        etcd.useEndpoints(endpoints);
    }

    @Override
    public List<String> endpoints() {
        return etcd.endpoints();
    }

    @Override
    public void close() {
        etcd.close();
    }

    // Plain key access, for tests and benches that write into etcd behind the agents' back.

    public Optional<Versioned<String>> get(String key) throws DcsException {
        return etcd.get(key);
    }

    public void put(String key, String value, long leaseId) throws DcsException {
        etcd.put(key, value, leaseId);
    }

    public void delete(String key) throws DcsException {
        etcd.delete(key);
    }

    /** Every host's status key as etcd holds it (text), by host name: for tests of what is stored itself. */
    public Map<String, String> statusTexts() throws DcsException {
        Map<String, String> out = new LinkedHashMap<>();
        String prefix = keys.hostsPrefix();
        etcd.getPrefix(prefix).forEach((key, value) -> {
            String rest = key.substring(prefix.length());
            if (rest.endsWith(STATUS)) {
                out.put(rest.substring(0, rest.length() - STATUS.length()), value.value());
            }
        });
        return out;
    }
}
