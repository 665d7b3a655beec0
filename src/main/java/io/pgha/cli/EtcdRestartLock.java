package io.pgha.cli;

import io.pgha.converge.RollingRestart;
import io.pgha.store.EtcdStore;
import io.pgha.store.StoreException;
import java.io.IOException;
import java.util.Optional;

/** The cluster-wide restart lock as an etcd key on a lease: it frees itself if its holder dies. */
final class EtcdRestartLock implements RollingRestart.Lock {
    private final EtcdStore store;
    private final String key;
    private final String holder;
    private final long ttlSeconds;

    EtcdRestartLock(EtcdStore store, String key, String holder, long ttlSeconds) {
        this.store = store;
        this.key = key;
        this.holder = holder;
        this.ttlSeconds = ttlSeconds;
    }

    @Override
    public Optional<RollingRestart.Held> tryAcquire() throws IOException {
        try {
            return store.tryLock(key, holder, ttlSeconds).map(this::held);
        } catch (StoreException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private RollingRestart.Held held(long lease) {
        return new RollingRestart.Held() {
            @Override
            public void refresh() throws IOException {
                try {
                    store.keepAlive(lease);
                } catch (StoreException e) {
                    throw new IOException(e.getMessage(), e);
                }
            }

            @Override
            public void close() throws IOException {
                try {
                    store.revokeLease(lease);
                } catch (StoreException e) {
                    throw new IOException(e.getMessage(), e);
                }
            }
        };
    }
}
