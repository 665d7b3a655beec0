package io.pgha.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgha.store.EtcdStore;
import io.pgha.store.StoreException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the host's status key in etcd, attached to a lease so that it vanishes when the agent dies. Writes only
 * when the content changes, plus a slow heartbeat; refreshes the lease in between. Not thread-safe: one caller.
 */
public final class StatusPublisher {
    private static final Logger log = LoggerFactory.getLogger(StatusPublisher.class);
    public static final long LEASE_TTL_SECONDS = 15;
    private static final long KEEPALIVE_NANOS = Duration.ofSeconds(5).toNanos();

    private static final ObjectMapper JSON = new ObjectMapper();
    private final EtcdStore store;
    private final String key;
    private final long heartbeatNanos;
    private long leaseId;
    private long lastKeepAlive;
    private long lastWrite;
    private HostStatus lastWritten;
    private long writes;

    public StatusPublisher(EtcdStore store, String key, Duration heartbeat) {
        this.store = store;
        this.key = key;
        this.heartbeatNanos = heartbeat.toNanos();
    }

    /** Writes {@code status} if it differs from the last one written or the heartbeat is due. */
    public void publish(HostStatus status) throws StoreException {
        long now = System.nanoTime();
        if (leaseId != 0 && now - lastKeepAlive >= KEEPALIVE_NANOS) {
            if (!store.keepAlive(leaseId)) {
                log.warn("status lease {} expired (etcd was unreachable for over {} s); taking a new one", leaseId,
                        LEASE_TTL_SECONDS);
                leaseId = 0;
            }
            lastKeepAlive = now;
        }
        boolean changed = lastWritten == null || !lastWritten.significant().equals(status.significant());
        if (leaseId != 0 && !changed && now - lastWrite < heartbeatNanos) {
            return;
        }
        if (leaseId == 0) {
            leaseId = store.grantLease(LEASE_TTL_SECONDS);
            lastKeepAlive = now;
        }
        store.put(key, toJson(status), leaseId);
        lastWritten = status;
        lastWrite = now;
        writes++;
    }

    /** How many status writes this publisher made: the agent's own load on etcd. */
    public long writes() {
        return writes;
    }

    /** Removes the status at once on a clean stop instead of waiting for the lease to run out. */
    public void withdraw() {
        if (leaseId != 0) {
            try {
                store.revokeLease(leaseId);
            } catch (StoreException e) {
                log.debug("could not revoke lease on stop: {}", e.getMessage());
            }
        }
    }

    public static String toJson(HostStatus status) {
        try {
            return JSON.writeValueAsString(status);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("status is plain data", e);
        }
    }
}
