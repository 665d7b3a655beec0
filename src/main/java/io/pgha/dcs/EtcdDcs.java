package io.pgha.dcs;

import io.etcd.jetcd.Auth;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.auth.AuthRoleGetResponse;
import io.etcd.jetcd.auth.AuthRoleListResponse;
import io.etcd.jetcd.auth.AuthUserGetResponse;
import io.etcd.jetcd.auth.AuthUserListResponse;
import io.etcd.jetcd.auth.Permission;
import io.pgha.model.AgentConfig;
import io.pgha.model.EtcdAlarm;
import io.pgha.model.EtcdMember;
import io.pgha.model.EtcdMemberStatus;
import io.pgha.tls.TlsFiles;
import java.io.IOException;
import javax.net.ssl.KeyManager;
import javax.net.ssl.X509TrustManager;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.grpc.Status;
import io.pgha.postgres.RollingRestart;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The DCS on etcd, through jetcd. Every call has a deadline: with etcd down jetcd would otherwise wait for ever, and
 * a caller that waits for ever stops supervising.
 */
public final class EtcdDcs implements Dcs {
    /** A member (or the member list) not answering within this is down for now: every agent pass asks. */
    private static final Duration MEMBER_TIMEOUT = Duration.ofSeconds(2);
    /** A defragmentation rewrites the member's database file: longer than any other call. */
    private static final Duration DEFRAG_TIMEOUT = Duration.ofSeconds(60);
    private final Keys keys;
    private final Duration timeout;
    private final X509TrustManager trust;
    private final KeyManager key;
    private final String certificate;
    // Replaced together when the members change (useEndpoints); calls under way finish on the client they began on.
    private volatile Client client;
    private volatile List<String> endpoints;
    private final List<KeyWatch> watches = new java.util.ArrayList<>();

    /**
     * A client of the cluster's etcd over TLS, presenting {@code tls}'s certificate: its common name is the etcd user
     * (admin for pghactl, agent-HOST for an agent). Fails, naming the file, when a certificate or key is unusable.
     */
    public EtcdDcs(String cluster, List<String> endpoints, Duration timeout, TlsFiles tls) throws IOException {
        this.keys = new Keys(cluster);
        this.endpoints = List.copyOf(endpoints);
        this.timeout = timeout;
        this.trust = tls.trustManager();
        this.key = tls.keyManager();
        this.certificate = tls.certificate().toString();
        this.client = build(this.endpoints);
    }

    private Client build(List<String> urls) throws IOException {
        try {
            // Every member's certificate names the cluster (etcd members share no other name); with several
            // endpoints gRPC would otherwise check each against a made-up authority.
            return Client.builder().endpoints(urls.toArray(String[]::new))
                    .authority(AgentConfig.clusterDnsName(keys.cluster()))
                    .sslContext(b -> b.trustManager(trust).keyManager(key).protocols("TLSv1.3", "TLSv1.2"))
                    .build();
        } catch (javax.net.ssl.SSLException e) {
            throw new IOException("TLS for etcd with " + certificate + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void useEndpoints(List<String> urls) {
        List<String> sorted = urls.stream().sorted().distinct().toList();
        if (sorted.isEmpty() || sorted.equals(endpoints.stream().sorted().toList())) {
            return;
        }
        try {
            Client old = client;
            client = build(sorted);
            endpoints = sorted;
            watches.forEach(w -> w.moveTo(client));
            old.close();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public List<EtcdMember> members() throws DcsException {
        return await(client.getClusterClient().listMember(), "list etcd members", MEMBER_TIMEOUT).getMembers()
                .stream().map(EtcdDcs::member).toList();
    }

    @Override
    public List<EtcdMember> addLearner(String peerUrl) throws DcsException {
        return await(client.getClusterClient().addMember(List.of(java.net.URI.create(peerUrl)), true),
                "add etcd learner " + peerUrl).getMembers().stream().map(EtcdDcs::member).toList();
    }

    @Override
    public void promote(long memberId, String leaderClientUrl) throws DcsException {
        // A follower hands a promotion on to the leader over the peer link without the caller's identity, and etcd
        // 3.4's leader refuses that ("auth: user name is empty") until the follower gives up: asked directly, the
        // leader checks the caller itself.
        String what = "promote etcd member " + Long.toHexString(memberId) + " at the leader " + leaderClientUrl;
        try (Client leader = build(List.of(leaderClientUrl))) {
            await(leader.getClusterClient().promoteMember(memberId), what);
        } catch (IOException e) {
            throw new DcsException.Unreachable(what + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void removeMember(long memberId) throws DcsException {
        await(client.getClusterClient().removeMember(memberId), "remove etcd member " + Long.toHexString(memberId));
    }

    @Override
    public EtcdMemberStatus memberStatus(String clientUrl) throws DcsException {
        io.etcd.jetcd.maintenance.StatusResponse r = await(client.getMaintenanceClient()
                .statusMember(target(clientUrl)), "status of etcd member " + clientUrl, MEMBER_TIMEOUT);
        return new EtcdMemberStatus(r.getHeader().getMemberId(), r.getLeader(), r.getRaftTerm(),
                r.getRaftAppliedIndex(), r.getDbSize(), r.getDbSizeInUse(), r.isLearner(), r.getErrorList(),
                r.getVersion());
    }

    @Override
    public void defragment(String clientUrl) throws DcsException {
        await(client.getMaintenanceClient().defragmentMember(target(clientUrl)), "defragment etcd member "
                + clientUrl, DEFRAG_TIMEOUT);
    }

    /** One member as a gRPC target ("ip:///host:port"): the maintenance calls go to that member only. */
    private static String target(String clientUrl) {
        java.net.URI uri = java.net.URI.create(clientUrl);
        return "ip:///" + uri.getHost() + ":" + uri.getPort();
    }

    @Override
    public List<EtcdAlarm> alarms() throws DcsException {
        return await(client.getMaintenanceClient().listAlarms(), "list etcd alarms").getAlarms().stream()
                .map(a -> new EtcdAlarm(a.getMemberId(), a.getAlarmType().name())).toList();
    }

    @Override
    public void disarm(EtcdAlarm alarm) throws DcsException {
        await(client.getMaintenanceClient().alarmDisarm(new io.etcd.jetcd.maintenance.AlarmMember(alarm.memberId(),
                io.etcd.jetcd.maintenance.AlarmType.valueOf(alarm.type()))), "disarm etcd alarm " + alarm.type());
    }

    @Override
    public long compact() throws DcsException {
        long revision = await(client.getKVClient().get(bytes(keys.spec())), "read etcd's revision").getHeader()
                .getRevision();
        try {
            await(client.getKVClient().compact(revision, io.etcd.jetcd.options.CompactOption.builder()
                    .withCompactPhysical(true).build()), "compact etcd at revision " + revision);
        } catch (DcsException.Unreachable e) {
            // Compacted already (etcd's own periodic compaction, or another agent): nothing older is left.
            if (e.getMessage() == null || !e.getMessage().contains("compacted")) {
                throw e;
            }
        }
        return revision;
    }

    @Override
    public RollingRestart.Lock etcdLock(String holder, long ttlSeconds) {
        return new EtcdRestartLock(this, keys.etcdLock(), holder, ttlSeconds);
    }

    private static EtcdMember member(io.etcd.jetcd.cluster.Member m) {
        return new EtcdMember(m.getId(), m.getName(), m.getPeerURIs().stream().map(EtcdDcs::url).toList(),
                m.getClientURIs().stream().map(EtcdDcs::url).toList(), m.isLearner());
    }

    /** "https://10.77.0.11:2379", without the trailing slash a URI may carry. */
    private static String url(java.net.URI uri) {
        return uri.getScheme() + "://" + uri.getHost() + ":" + uri.getPort();
    }

    @Override
    public Optional<Versioned> spec() throws DcsException {
        return get(keys.spec());
    }

    @Override
    public long applySpec(String text, long expectedRevision) throws DcsException {
        return putIfRevision(keys.spec(), text, expectedRevision)
                .orElseThrow(() -> new DcsException.RevisionConflict(keys.spec(), expectedRevision));
    }

    @Override
    public Dcs.Watch watchSpec(long afterRevision, Consumer<Optional<Versioned>> onChange,
                               Consumer<DcsException> onError) {
        return watch(keys.spec(), afterRevision, event -> onChange.accept(
                event.getEventType() == WatchEvent.EventType.DELETE
                        ? Optional.empty() : Optional.of(versioned(event.getKeyValue()))), onError);
    }

    @Override
    public Dcs.Watch watchSecrets(long afterRevision, Runnable onChange, Consumer<DcsException> onError) {
        return watch(keys.secrets(), afterRevision, event -> onChange.run(), onError);
    }

    /**
     * One key from after {@code afterRevision}: each event to {@code onEvent}, an interruption to {@code onError}.
     * Both run on the etcd client's threads inside its lock: they hand the news on and return, calling nothing here.
     */
    private Dcs.Watch watch(String key, long afterRevision, Consumer<WatchEvent> onEvent,
                            Consumer<DcsException> onError) {
        KeyWatch w = new KeyWatch(key, afterRevision, onEvent, onError);
        synchronized (this) {
            watches.add(w);
            w.start(client);
        }
        return () -> {
            synchronized (this) {
                watches.remove(w);
            }
            w.stop();
        };
    }

    /**
     * A watch that outlives a change of client: moved to the new one from the revision after the last it saw, so
     * that no event is lost or repeated and its owner notices nothing. It takes no lock: jetcd calls a watcher's
     * listener while holding its watch client's lock, and closing a watcher takes that same lock, so a lock of ours
     * taken by the listener and held around a close deadlocks. That froze an agent's loop for good: a watch cancelled
     * for a compacted revision called back while the loop moved it to new endpoints.
     */
    private final class KeyWatch {
        private final String key;
        private final Consumer<WatchEvent> onEvent;
        private final Consumer<DcsException> onError;
        private volatile long lastRevision;
        /** Counts starts and stops: a listener whose start is no longer the latest belongs to a replaced watcher. */
        private final AtomicLong generation = new AtomicLong();
        private final AtomicReference<io.etcd.jetcd.Watch.Watcher> watcher = new AtomicReference<>();

        KeyWatch(String key, long afterRevision, Consumer<WatchEvent> onEvent, Consumer<DcsException> onError) {
            this.key = key;
            this.lastRevision = afterRevision;
            this.onEvent = onEvent;
            this.onError = onError;
        }

        /** Called under the owner's lock, never from a listener: one start or move at a time. */
        void start(Client on) {
            long mine = generation.incrementAndGet();
            WatchOption option = WatchOption.builder().withRevision(lastRevision + 1).build();
            watcher.set(on.getWatchClient().watch(bytes(key), option, io.etcd.jetcd.Watch.listener(response -> {
                for (WatchEvent event : response.getEvents()) {
                    lastRevision = Math.max(lastRevision, event.getKeyValue().getModRevision());
                    onEvent.accept(event);
                }
            }, error -> {
                // A watcher replaced by a move, or stopped, ends quietly; only the current one's end is news.
                if (generation.get() == mine) {
                    onError.accept(new DcsException.Unreachable("watch " + key + " at " + endpoints
                            + " interrupted: " + message(error), error));
                }
            })));
        }

        void stop() {
            generation.incrementAndGet();
            io.etcd.jetcd.Watch.Watcher w = watcher.getAndSet(null);
            if (w != null) {
                w.close();
            }
        }

        void moveTo(Client on) {
            stop();
            start(on);
        }
    }

    @Override
    public Optional<Versioned> secrets() throws DcsException {
        return get(keys.secrets());
    }

    @Override
    public long putSecrets(String json, long expectedRevision) throws DcsException {
        return putIfRevision(keys.secrets(), json, expectedRevision)
                .orElseThrow(() -> new DcsException.RevisionConflict(keys.secrets(), expectedRevision));
    }

    @Override
    public void ensureAccess(EtcdAccess plan, Map<String, String> passwords) throws DcsException {
        // Each step's calls go out together and are awaited together: every one is a round trip through raft, and
        // there are dozens, which one after another made up most of an apply's time.
        Auth auth = client.getAuthClient();
        CompletableFuture<AuthUserListResponse> userList = auth.userList();
        CompletableFuture<AuthRoleListResponse> roleList = auth.roleList();
        List<String> users = await(userList, "list etcd users").getUsers();
        List<String> roles = await(roleList, "list etcd roles").getRoles();
        EtcdAccess access = plan.withDeparted(keys.cluster(), users);
        Map<String, CompletableFuture<?>> adds = new LinkedHashMap<>();
        for (String role : access.roles().keySet()) {
            if (!roles.contains(role)) {
                adds.put("add etcd role " + role, auth.roleAdd(bytes(role)));
            }
        }
        for (String user : access.users().keySet()) {
            if (!users.contains(user)) {
                // Users of certificates never log in with a password: theirs is random and forgotten.
                String password = passwords.getOrDefault(user, randomPassword());
                adds.put("add etcd user " + user, auth.userAdd(bytes(user), bytes(password)));
            }
        }
        awaitAll(adds);
        Map<String, CompletableFuture<AuthRoleGetResponse>> held = new LinkedHashMap<>();
        access.roles().keySet().forEach(role -> held.put(role, auth.roleGet(bytes(role))));
        Map<String, CompletableFuture<AuthUserGetResponse>> granted = new LinkedHashMap<>();
        access.users().keySet().forEach(user -> granted.put(user, auth.userGet(bytes(user))));
        Map<String, CompletableFuture<?>> changes = new LinkedHashMap<>();
        for (Map.Entry<String, List<EtcdAccess.Permission>> role : access.roles().entrySet()) {
            ByteSequence name = bytes(role.getKey());
            List<Permission> has = await(held.get(role.getKey()), "read etcd role " + role.getKey()).getPermissions();
            for (Permission p : has) {
                if (role.getValue().stream().noneMatch(w -> same(w, p))) {
                    changes.put("revoke " + p.getKey().toString(StandardCharsets.UTF_8) + " from etcd role " + role.getKey(),
                            auth.roleRevokePermission(name, p.getKey(), p.getRangeEnd()));
                }
            }
            for (EtcdAccess.Permission w : role.getValue()) {
                if (has.stream().noneMatch(p -> same(w, p))) {
                    changes.put("grant " + w.key() + " to etcd role " + role.getKey(), auth.roleGrantPermission(name,
                            bytes(w.key()), rangeEnd(w), w.write() ? Permission.Type.READWRITE : Permission.Type.READ));
                }
            }
        }
        for (Map.Entry<String, String> user : access.users().entrySet()) {
            ByteSequence name = bytes(user.getKey());
            List<String> has = await(granted.get(user.getKey()), "read etcd user " + user.getKey()).getRoles();
            if (!has.contains(user.getValue())) {
                changes.put("grant role to etcd user " + user.getKey(), auth.userGrantRole(name, bytes(user.getValue())));
            }
            for (String other : has) {
                if (!other.equals(user.getValue())) {
                    changes.put("revoke role " + other + " from etcd user " + user.getKey(),
                            auth.userRevokeRole(name, bytes(other)));
                }
            }
        }
        awaitAll(changes);
        await(auth.authEnable(), "enable etcd authentication");
    }

    /** Calls already under way, each named for its error message; the first failure is thrown. */
    private void awaitAll(Map<String, CompletableFuture<?>> calls) throws DcsException {
        for (Map.Entry<String, CompletableFuture<?>> call : calls.entrySet()) {
            await(call.getValue(), call.getKey());
        }
    }

    @Override
    public void changePassword(String user, String password) throws DcsException {
        await(client.getAuthClient().userChangePassword(bytes(user), bytes(password)), "change etcd password of " + user);
    }

    private static boolean same(EtcdAccess.Permission wanted, Permission held) {
        Permission.Type type = wanted.write() ? Permission.Type.READWRITE : Permission.Type.READ;
        return held.getPermType() == type && held.getKey().equals(bytes(wanted.key()))
                && held.getRangeEnd().equals(rangeEnd(wanted));
    }

    /** A prefix's range end: the key with its last byte raised by one; a single key has none. */
    private static ByteSequence rangeEnd(EtcdAccess.Permission p) {
        if (!p.prefix()) {
            return ByteSequence.EMPTY;
        }
        byte[] end = p.key().getBytes(StandardCharsets.UTF_8);
        end[end.length - 1]++;
        return ByteSequence.from(end);
    }

    private static String randomPassword() {
        byte[] bytes = new byte[32];
        new java.security.SecureRandom().nextBytes(bytes);
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    @Override
    public Map<String, String> hostStatuses() throws DcsException {
        Map<String, String> out = new LinkedHashMap<>();
        String prefix = keys.hostsPrefix();
        getPrefix(prefix).forEach((key, value) -> {
            String rest = key.substring(prefix.length());
            if (rest.endsWith("/status")) {
                out.put(rest.substring(0, rest.length() - "/status".length()), value.value());
            }
        });
        return out;
    }

    @Override
    public Optional<Versioned> request(String host) throws DcsException {
        return get(keys.request(host));
    }

    @Override
    public void putRequest(String host, String json) throws DcsException {
        put(keys.request(host), json, 0);
    }

    @Override
    public Dcs.Watch watchRequest(String host, long afterRevision, Runnable onChange, Consumer<DcsException> onError) {
        return watch(keys.request(host), afterRevision, event -> onChange.run(), onError);
    }

    @Override
    public long deletePatroniKeys() throws DcsException {
        return await(client.getKVClient().delete(bytes(keys.patroniPrefix()),
                DeleteOption.builder().isPrefix(true).build()), "delete " + keys.patroniPrefix()).getDeleted();
    }

    @Override
    public void putStatus(String host, String json, long lease) throws DcsException {
        put(keys.status(host), json, lease);
    }

    @Override
    public long grantLease(long ttlSeconds) throws DcsException {
        return await(client.getLeaseClient().grant(ttlSeconds), "grant lease").getID();
    }

    @Override
    public void keepAlive(long lease) throws DcsException {
        try {
            if (await(client.getLeaseClient().keepAliveOnce(lease), "keep lease alive").getTTL() <= 0) {
                throw new DcsException.LeaseLost("lease " + lease + " has expired", null);
            }
        } catch (DcsException.Unreachable e) {
            if (notFound(e.getCause())) {
                throw new DcsException.LeaseLost("lease " + lease + " is unknown to etcd (expired)", e.getCause());
            }
            throw e;
        }
    }

    @Override
    public void revokeLease(long lease) throws DcsException {
        await(client.getLeaseClient().revoke(lease), "revoke lease");
    }

    @Override
    public RollingRestart.Lock restartLock(String holder, long ttlSeconds) {
        return new EtcdRestartLock(this, keys.restartLock(), holder, ttlSeconds);
    }

    @Override
    public List<String> endpoints() {
        return endpoints;
    }

    @Override
    public void close() {
        client.close();
    }

    // Plain key access: for the lock here and for tests that write into etcd behind the agents' back.

    public Optional<Versioned> get(String key) throws DcsException {
        GetResponse response = await(client.getKVClient().get(bytes(key)), "get " + key);
        return response.getKvs().stream().findFirst().map(EtcdDcs::versioned);
    }

    public void put(String key, String value, long leaseId) throws DcsException {
        PutOption option = leaseId == 0 ? PutOption.DEFAULT : PutOption.builder().withLeaseId(leaseId).build();
        await(client.getKVClient().put(bytes(key), bytes(value), option), "put " + key);
    }

    public void delete(String key) throws DcsException {
        await(client.getKVClient().delete(bytes(key)), "delete " + key);
    }

    /** Every key under {@code prefix}, in key order. */
    private Map<String, Versioned> getPrefix(String prefix) throws DcsException {
        GetResponse response = await(client.getKVClient().get(bytes(prefix),
                GetOption.builder().isPrefix(true).build()), "list " + prefix);
        Map<String, Versioned> out = new LinkedHashMap<>();
        for (KeyValue kv : response.getKvs()) {
            out.put(kv.getKey().toString(StandardCharsets.UTF_8), versioned(kv));
        }
        return out;
    }

    /** Writes only if the key was last modified at {@code expectedRevision} (0: only if absent); the new revision. */
    private Optional<Long> putIfRevision(String key, String value, long expectedRevision) throws DcsException {
        Cmp cmp = new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.modRevision(expectedRevision));
        TxnResponse response = await(client.getKVClient().txn()
                .If(cmp).Then(Op.put(bytes(key), bytes(value), PutOption.DEFAULT)).commit(), "compare-and-swap " + key);
        return response.isSucceeded() ? Optional.of(response.getHeader().getRevision()) : Optional.empty();
    }

    /** Creates {@code key} holding {@code holder} on a fresh lease if nobody holds it; the lease, or empty. */
    Optional<Long> tryLock(String key, String holder, long ttlSeconds) throws DcsException {
        long lease = grantLease(ttlSeconds);
        Cmp absent = new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.createRevision(0));
        TxnResponse response = await(client.getKVClient().txn().If(absent)
                .Then(Op.put(bytes(key), bytes(holder), PutOption.builder().withLeaseId(lease).build())).commit(),
                "lock " + key);
        if (response.isSucceeded()) {
            return Optional.of(lease);
        }
        revokeLease(lease);
        return Optional.empty();
    }

    private <T> T await(CompletableFuture<T> future, String what) throws DcsException {
        return await(future, what, timeout);
    }

    private <T> T await(CompletableFuture<T> future, String what, Duration timeout) throws DcsException {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new DcsException.Unreachable(what + ": etcd at " + endpoints + " did not answer within "
                    + timeout.toMillis() + " ms", e);
        } catch (ExecutionException e) {
            Status.Code code = Status.fromThrowable(e.getCause()).getCode();
            if (code == Status.Code.PERMISSION_DENIED || code == Status.Code.UNAUTHENTICATED
                    || refusedByAuth(e.getCause())) {
                throw new DcsException.Refused(what + ": etcd refused: " + message(e.getCause()), e.getCause());
            }
            throw new DcsException.Unreachable(what + ": etcd at " + endpoints + " failed: " + message(e.getCause()),
                    e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DcsException.Unreachable(what + ": interrupted", e);
        } catch (java.util.concurrent.CancellationException e) {
            // jetcd cancels a call whose channel it shuts down (a client replaced as the members changed).
            throw new DcsException.Unreachable(what + ": etcd at " + endpoints + ": call cancelled", e);
        }
    }

    /** etcd's permission errors as jetcd wraps them (its own exception with the code etcd sent). */
    private static boolean refusedByAuth(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof EtcdException e && (e.getErrorCode() == ErrorCode.PERMISSION_DENIED
                    || e.getErrorCode() == ErrorCode.UNAUTHENTICATED)) {
                return true;
            }
        }
        return false;
    }

    /** etcd's NOT_FOUND, however jetcd wraps it (its own exception, or grpc's status). */
    private static boolean notFound(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof EtcdException e && e.getErrorCode() == ErrorCode.NOT_FOUND) {
                return true;
            }
        }
        return error != null && Status.fromThrowable(error).getCode() == Status.Code.NOT_FOUND;
    }

    private static String message(Throwable t) {
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    private static Versioned versioned(KeyValue kv) {
        return new Versioned(kv.getValue().toString(StandardCharsets.UTF_8), kv.getModRevision());
    }
}
