package io.pgha.store;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
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
import java.util.function.Consumer;

/**
 * etcd access for the agent and pghactl. Every call has a deadline: with etcd down jetcd would otherwise wait
 * for ever, and a caller that waits for ever stops supervising.
 */
public final class EtcdStore implements AutoCloseable {
    private final Client client;
    private final List<String> endpoints;
    private final Duration timeout;

    public EtcdStore(List<String> endpoints, Duration timeout) {
        this.endpoints = List.copyOf(endpoints);
        this.timeout = timeout;
        this.client = Client.builder().endpoints(endpoints.toArray(String[]::new)).build();
    }

    public Optional<Versioned> get(String key) throws StoreException {
        GetResponse response = await(client.getKVClient().get(bytes(key)), "get " + key);
        return response.getKvs().stream().findFirst().map(EtcdStore::versioned);
    }

    /** Every key under {@code prefix}, in key order. */
    public Map<String, Versioned> getPrefix(String prefix) throws StoreException {
        GetResponse response = await(client.getKVClient().get(bytes(prefix),
                GetOption.builder().isPrefix(true).build()), "list " + prefix);
        Map<String, Versioned> out = new LinkedHashMap<>();
        for (KeyValue kv : response.getKvs()) {
            out.put(kv.getKey().toString(StandardCharsets.UTF_8), versioned(kv));
        }
        return out;
    }

    /**
     * Writes {@code value} only if the key was last modified at {@code expectedRevision} (0: only if the key does
     * not exist). Returns the new revision, or empty when someone else changed the key first.
     */
    public Optional<Long> putIfRevision(String key, String value, long expectedRevision) throws StoreException {
        Cmp cmp = new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.modRevision(expectedRevision));
        TxnResponse response = await(client.getKVClient().txn()
                .If(cmp).Then(Op.put(bytes(key), bytes(value), PutOption.DEFAULT)).commit(), "compare-and-swap " + key);
        return response.isSucceeded() ? Optional.of(response.getHeader().getRevision()) : Optional.empty();
    }

    public void put(String key, String value, long leaseId) throws StoreException {
        PutOption option = leaseId == 0 ? PutOption.DEFAULT : PutOption.builder().withLeaseId(leaseId).build();
        await(client.getKVClient().put(bytes(key), bytes(value), option), "put " + key);
    }

    public void delete(String key) throws StoreException {
        await(client.getKVClient().delete(bytes(key)), "delete " + key);
    }

    public long grantLease(long ttlSeconds) throws StoreException {
        return await(client.getLeaseClient().grant(ttlSeconds), "grant lease").getID();
    }

    /** Refreshes a lease; false when etcd no longer knows it (it expired), so the caller grants a new one. */
    public boolean keepAlive(long leaseId) throws StoreException {
        try {
            return await(client.getLeaseClient().keepAliveOnce(leaseId), "keep lease alive").getTTL() > 0;
        } catch (StoreException e) {
            if (String.valueOf(e.getCause()).contains("NOT_FOUND") || String.valueOf(e.getMessage()).contains("not found")) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Takes a lock: creates {@code key} (holding {@code holder}) on a fresh lease if nobody holds it. Returns the
     * lease, which the holder keeps alive while it works and revokes to release; if the holder dies, the lease runs
     * out and the lock frees itself.
     */
    public Optional<Long> tryLock(String key, String holder, long ttlSeconds) throws StoreException {
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

    public void revokeLease(long leaseId) throws StoreException {
        await(client.getLeaseClient().revoke(leaseId), "revoke lease");
    }

    /**
     * Calls {@code onChange} for every change of {@code key} after {@code afterRevision}: the new value, or empty
     * when the key was deleted. jetcd re-establishes the watch by itself after etcd restarts; {@code onError} hears
     * of interruptions so the caller can re-read the key.
     */
    public AutoCloseable watch(String key, long afterRevision, Consumer<Optional<Versioned>> onChange,
                               Consumer<Throwable> onError) {
        WatchOption option = WatchOption.builder().withRevision(afterRevision + 1).build();
        Watch.Watcher watcher = client.getWatchClient().watch(bytes(key), option, Watch.listener(response -> {
            for (WatchEvent event : response.getEvents()) {
                onChange.accept(event.getEventType() == WatchEvent.EventType.DELETE
                        ? Optional.empty() : Optional.of(versioned(event.getKeyValue())));
            }
        }, onError));
        return watcher::close;
    }

    public List<String> endpoints() {
        return endpoints;
    }

    @Override
    public void close() {
        client.close();
    }

    private <T> T await(CompletableFuture<T> future, String what) throws StoreException {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new StoreException(what + ": etcd at " + endpoints + " did not answer within "
                    + timeout.toMillis() + " ms", e);
        } catch (ExecutionException e) {
            throw new StoreException(what + ": etcd at " + endpoints + " failed: " + e.getCause().getMessage(),
                    e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException(what + ": interrupted", e);
        }
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    private static Versioned versioned(KeyValue kv) {
        return new Versioned(kv.getValue().toString(StandardCharsets.UTF_8), kv.getModRevision());
    }
}
