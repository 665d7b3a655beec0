package io.pgha.dcs;

import java.io.IOException;
import java.util.Optional;

/** A cluster-wide lock as an etcd key on a lease: it frees itself if its holder dies. */
final class EtcdLock implements Lock {
    private final EtcdConnection etcd;
    private final String key;
    private final String holder;
    private final long ttlSeconds;

    EtcdLock(EtcdConnection etcd, String key, String holder, long ttlSeconds) {
        this.etcd = etcd;
        this.key = key;
        this.holder = holder;
        this.ttlSeconds = ttlSeconds;
    }

    @Override
    public Optional<Held> tryAcquire() throws IOException {
        try {
            return etcd.tryLock(key, holder, ttlSeconds).map(this::held);
        } catch (DcsException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private Held held(long lease) {
        return new Held() {
            @Override
            public void refresh() throws IOException {
                try {
                    etcd.keepAlive(lease);
                } catch (DcsException e) {
                    throw new IOException(e.getMessage(), e);
                }
            }

            @Override
            public void close() throws IOException {
                try {
                    etcd.revokeLease(lease);
                } catch (DcsException e) {
                    throw new IOException(e.getMessage(), e);
                }
            }
        };
    }
}
