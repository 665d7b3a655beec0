package io.pgha.dcs;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
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
import java.util.function.Consumer;

/**
 * The DCS on etcd, through jetcd. Every call has a deadline: with etcd down jetcd would otherwise wait for ever, and
 * a caller that waits for ever stops supervising.
 */
public final class EtcdDcs implements Dcs {
    private final Client client;
    private final Keys keys;
    private final List<String> endpoints;
    private final Duration timeout;

    public EtcdDcs(String cluster, List<String> endpoints, Duration timeout) {
        this.keys = new Keys(cluster);
        this.endpoints = List.copyOf(endpoints);
        this.timeout = timeout;
        this.client = Client.builder().endpoints(endpoints.toArray(String[]::new)).build();
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
        WatchOption option = WatchOption.builder().withRevision(afterRevision + 1).build();
        io.etcd.jetcd.Watch.Watcher watcher = client.getWatchClient().watch(bytes(keys.spec()), option,
                io.etcd.jetcd.Watch.listener(response -> {
            for (WatchEvent event : response.getEvents()) {
                onChange.accept(event.getEventType() == WatchEvent.EventType.DELETE
                        ? Optional.empty() : Optional.of(versioned(event.getKeyValue())));
            }
        }, error -> onError.accept(new DcsException.Unreachable("watch " + keys.spec() + " at " + endpoints
                + " interrupted: " + message(error), error))));
        return watcher::close;
    }

    @Override
    public Optional<Versioned> secrets() throws DcsException {
        return get(keys.secrets());
    }

    @Override
    public boolean createSecrets(String json) throws DcsException {
        return putIfRevision(keys.secrets(), json, 0).isPresent();
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
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new DcsException.Unreachable(what + ": etcd at " + endpoints + " did not answer within "
                    + timeout.toMillis() + " ms", e);
        } catch (ExecutionException e) {
            throw new DcsException.Unreachable(what + ": etcd at " + endpoints + " failed: " + message(e.getCause()),
                    e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DcsException.Unreachable(what + ": interrupted", e);
        }
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
