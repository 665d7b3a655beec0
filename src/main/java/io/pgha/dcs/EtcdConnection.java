package io.pgha.dcs;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.grpc.Status;
import io.pgha.model.AgentConfig;
import io.pgha.tls.TlsFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import javax.net.ssl.KeyManager;
import javax.net.ssl.X509TrustManager;

/**
 * One TLS client of the cluster's etcd, shared by the store ({@link EtcdDcs}) and the administration
 * ({@link EtcdAdministration}): plain keys, leases, locks and watches, each call with a deadline. With etcd down
 * jetcd would otherwise wait for ever, and a caller that waits for ever stops supervising. The only place besides
 * those two that knows jetcd.
 */
final class EtcdConnection implements AutoCloseable {
    static final Duration RENEW_AFTER = Duration.ofSeconds(5);
    final Keys keys;
    private final Duration timeout;
    private final X509TrustManager trust;
    private final KeyManager key;
    private final String certificate;
    /** For a one-shot command: its clients' event loops, ended on close (see {@link OwnEventLoops}). */
    private final Optional<OwnEventLoops> ownLoops;
    // Replaced together when the members change (useEndpoints); calls under way finish on the client they began on.
    private volatile Client client;
    private volatile List<String> endpoints;
    private final List<KeyWatch> watches = new ArrayList<>();
    /** When calls began failing as unreachable with no success since (System.nanoTime), 0 while etcd answers. */
    private final AtomicLong failingSince = new AtomicLong();
    private volatile long renewedAt = System.nanoTime();

    EtcdConnection(String cluster, List<String> endpoints, Duration timeout, TlsFiles tls,
                   Optional<OwnEventLoops> ownLoops) throws IOException {
        this.keys = new Keys(cluster);
        this.ownLoops = ownLoops;
        this.endpoints = List.copyOf(endpoints);
        this.timeout = timeout;
        this.trust = tls.trustManager();
        this.key = tls.keyManager();
        this.certificate = tls.certificate().toString();
        this.client = build(this.endpoints);
    }

    Client client() {
        return client;
    }

    /** A client of its own for {@code urls}, with this one's identity: the caller closes it. */
    Client build(List<String> urls) throws IOException {
        try {
            // Every member's certificate names the cluster (etcd members share no other name); with several
            // endpoints gRPC would otherwise check each against a made-up authority.
            ClientBuilder builder = Client.builder().endpoints(urls.toArray(String[]::new))
                    .authority(AgentConfig.clusterDnsName(keys.cluster()))
                    .sslContext(b -> b.trustManager(trust).keyManager(key).protocols("TLSv1.3", "TLSv1.2"));
            return ownLoops.map(loops -> loops.give(builder)).orElse(builder).build();
        } catch (javax.net.ssl.SSLException e) {
            throw new IOException("TLS for etcd with " + certificate + ": " + e.getMessage(), e);
        }
    }

    synchronized void useEndpoints(List<String> urls) {
        List<String> sorted = urls.stream().sorted().distinct().toList();
        if (sorted.isEmpty() || sorted.equals(endpoints.stream().sorted().toList())) {
            return;
        }
        replaceClient(sorted);
    }

    private synchronized void replaceClient(List<String> urls) {
        try {
            Client old = client;
            client = build(urls);
            endpoints = urls;
            renewedAt = System.nanoTime();
            watches.forEach(w -> w.moveTo(client));
            old.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A call found etcd unreachable. gRPC waits longer and longer between attempts to reconnect a channel (up to two
     * minutes), so once etcd is back a channel that failed for a while would stay idle for up to that long: after
     * {@link #RENEW_AFTER} of failures with no success, the client is replaced by a fresh one (at most once per that
     * period), whose channel connects at once.
     */
    private void failed() {
        long now = System.nanoTime();
        failingSince.compareAndSet(0, now);
        if (now - failingSince.get() >= RENEW_AFTER.toNanos() && now - renewedAt >= RENEW_AFTER.toNanos()) {
            replaceClient(endpoints);
        }
    }

    List<String> endpoints() {
        return endpoints;
    }

    @Override
    public void close() {
        client.close();
        ownLoops.ifPresent(OwnEventLoops::close);
    }

    Optional<Versioned<String>> get(String key) throws DcsException {
        GetResponse response = await(client.getKVClient().get(bytes(key)), "get " + key);
        return response.getKvs().stream().findFirst().map(EtcdConnection::versioned);
    }

    void put(String key, String value, long leaseId) throws DcsException {
        PutOption option = leaseId == 0 ? PutOption.DEFAULT : PutOption.builder().withLeaseId(leaseId).build();
        await(client.getKVClient().put(bytes(key), bytes(value), option), "put " + key);
    }

    void delete(String key) throws DcsException {
        await(client.getKVClient().delete(bytes(key)), "delete " + key);
    }

    /** Every key under {@code prefix}, in key order. */
    Map<String, Versioned<String>> getPrefix(String prefix) throws DcsException {
        GetResponse response = await(client.getKVClient().get(bytes(prefix),
                GetOption.builder().isPrefix(true).build()), "list " + prefix);
        Map<String, Versioned<String>> out = new LinkedHashMap<>();
        for (KeyValue kv : response.getKvs()) {
            out.put(kv.getKey().toString(StandardCharsets.UTF_8), versioned(kv));
        }
        return out;
    }

    /** Writes only if the key was last modified at {@code expectedRevision} (0: only if absent); the new revision. */
    long putIfRevision(String key, String value, long expectedRevision) throws DcsException {
        Cmp cmp = new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.modRevision(expectedRevision));
        TxnResponse response = await(client.getKVClient().txn()
                .If(cmp).Then(Op.put(bytes(key), bytes(value), PutOption.DEFAULT)).commit(), "compare-and-swap " + key);
        if (!response.isSucceeded()) {
            throw new DcsException.RevisionConflict(key, expectedRevision);
        }
        return response.getHeader().getRevision();
    }

    /** Writes {@code key} on {@code lease} only if it does not exist; whether it did. */
    boolean putIfAbsent(String key, String value, long lease) throws DcsException {
        TxnResponse response = await(client.getKVClient().txn()
                .If(new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                .Then(Op.put(bytes(key), bytes(value), PutOption.builder().withLeaseId(lease).build())).commit(),
                "create " + key);
        return response.isSucceeded();
    }

    /**
     * Deletes Patroni's leader key if it is still {@code leader} (value and revision) and the early failover guard is
     * absent; writes {@code record} and the guard on a fresh lease of {@code guardSeconds} in the same transaction.
     */
    boolean endLeaderClaim(Versioned<String> leader, String record, long guardSeconds) throws DcsException {
        long lease = grantLease(guardSeconds);
        ByteSequence key = bytes(keys.patroniLeader());
        TxnResponse response = await(client.getKVClient().txn().If(
                        new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(leader.modRevision())),
                        new Cmp(key, Cmp.Op.EQUAL, CmpTarget.value(bytes(leader.value()))),
                        new Cmp(bytes(keys.earlyFailoverGuard()), Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                .Then(Op.delete(key, io.etcd.jetcd.options.DeleteOption.DEFAULT),
                        Op.put(bytes(keys.earlyFailoverGuard()), bytes(leader.value()),
                                PutOption.builder().withLeaseId(lease).build()),
                        Op.put(bytes(keys.earlyFailover()), bytes(record), PutOption.DEFAULT))
                .commit(), "end the leader claim of " + leader.value());
        if (!response.isSucceeded()) {
            revokeLease(lease);
        }
        return response.isSucceeded();
    }

    long grantLease(long ttlSeconds) throws DcsException {
        return await(client.getLeaseClient().grant(ttlSeconds), "grant lease").getID();
    }

    void keepAlive(long lease) throws DcsException {
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

    void revokeLease(long lease) throws DcsException {
        await(client.getLeaseClient().revoke(lease), "revoke lease");
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

    /**
     * One key from after {@code afterRevision} (0: from now), each event to {@code onEvent}, an interruption to
     * {@code onError}.
     * Both run on the etcd client's threads inside its lock: they hand the news on and return, calling nothing here.
     * A watch from now returns once etcd has created it: jetcd sends the request on a stream of its own, and a caller
     * that reads the key before etcd knows the watch can miss a change made in between. When etcd does not confirm
     * it within the deadline, {@code onError} hears so.
     */
    Dcs.Watch watch(String key, long afterRevision, Consumer<WatchEvent> onEvent, Consumer<DcsException> onError) {
        KeyWatch w = new KeyWatch(key, afterRevision, onEvent, onError);
        synchronized (this) {
            watches.add(w);
            w.start(client);
        }
        try {
            w.created.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            onError.accept(new DcsException.Unreachable("watch " + key + ": etcd at " + endpoints
                    + " did not confirm it within " + timeout.toMillis() + " ms", e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
        /** Done once etcd created the watch (or it ended first); at once for a watch from a past revision. */
        final CompletableFuture<Void> created = new CompletableFuture<>();

        KeyWatch(String key, long afterRevision, Consumer<WatchEvent> onEvent, Consumer<DcsException> onError) {
            this.key = key;
            this.lastRevision = afterRevision;
            this.onEvent = onEvent;
            this.onError = onError;
            if (afterRevision > 0) {
                created.complete(null);
            }
        }

        /** Called under the owner's lock, never from a listener: one start or move at a time. */
        void start(Client on) {
            long mine = generation.incrementAndGet();
            // Nothing seen yet (a key absent when its watch began): from now on; else from after the last event.
            // The first created notice of a watch from now says where "now" was, so that a move after it leaves no
            // gap; moved from "now" again, a watch would miss a change made in between, and its owner would wait
            // for a change that had come. Later notices (jetcd re-creating the watch after a broken stream, or a
            // watch from a past revision) come before the events they replay, so they say nothing of what was seen.
            AtomicBoolean fromNow = new AtomicBoolean(lastRevision <= 0);
            WatchOption option = fromNow.get() ? WatchOption.builder().withCreateNotify(true).build()
                    : WatchOption.builder().withRevision(lastRevision + 1).build();
            watcher.set(on.getWatchClient().watch(bytes(key), option, io.etcd.jetcd.Watch.listener(response -> {
                if (response.isCreatedNotify()) {
                    if (fromNow.getAndSet(false)) {
                        lastRevision = Math.max(lastRevision, response.getHeader().getRevision());
                    }
                    created.complete(null);
                    return;
                }
                for (WatchEvent event : response.getEvents()) {
                    lastRevision = Math.max(lastRevision, event.getKeyValue().getModRevision());
                    onEvent.accept(event);
                }
            }, error -> {
                // A watcher replaced by a move, or stopped, ends quietly; only the current one's end is news.
                if (generation.get() == mine) {
                    onError.accept(new DcsException.Unreachable("watch " + key + " at " + endpoints
                            + " interrupted: " + message(error), error));
                    created.complete(null);
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

    <T> T await(CompletableFuture<T> future, String what) throws DcsException {
        return await(future, what, timeout);
    }

    <T> T await(CompletableFuture<T> future, String what, Duration timeout) throws DcsException {
        try {
            T value = future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            failingSince.set(0);
            return value;
        } catch (TimeoutException e) {
            future.cancel(true);
            failed();
            throw new DcsException.Unreachable(what + ": etcd at " + endpoints + " did not answer within "
                    + timeout.toMillis() + " ms", e);
        } catch (ExecutionException e) {
            Status.Code code = Status.fromThrowable(e.getCause()).getCode();
            if (code == Status.Code.PERMISSION_DENIED || code == Status.Code.UNAUTHENTICATED
                    || refusedByAuth(e.getCause())) {
                throw new DcsException.Refused(what + ": etcd refused: " + message(e.getCause()), e.getCause());
            }
            failed();
            throw new DcsException.Unreachable(what + ": etcd at " + endpoints + " failed: " + message(e.getCause()),
                    e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DcsException.Unreachable(what + ": interrupted", e);
        } catch (CancellationException e) {
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

    static String message(Throwable t) {
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    static Versioned<String> versioned(KeyValue kv) {
        return new Versioned<>(kv.getValue().toString(StandardCharsets.UTF_8), kv.getModRevision());
    }
}
