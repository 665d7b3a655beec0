package io.pgha.report;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.model.HostStatus;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the host's status key in the DCS, attached to a lease so that it vanishes when the agent dies. Writes when
 * the significant part changes, plus a slow heartbeat; refreshes the lease in between. Runs on a thread of its own,
 * so that neither the agent's loop nor its probes ever wait on etcd: {@link #offer} only hands the status over.
 */
public final class StatusPublisher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StatusPublisher.class);
    public static final long LEASE_TTL_SECONDS = 15;
    private static final long KEEPALIVE_NANOS = Duration.ofSeconds(5).toNanos();
    private static final long POLL_MILLIS = 1000;

    private final Dcs dcs;
    private final long heartbeatNanos;
    private final Consumer<DcsException> onFailure;
    private final Runnable onSuccess;
    private final Thread thread;
    /** Guarded by this: the status to write next, and whether the thread should stop. */
    private HostStatus pending;
    private boolean stopping;
    // Confined to the publisher thread.
    private long leaseId;
    private long lastKeepAlive;
    private long lastWrite;
    private HostStatus lastWritten;
    /** The last status this thread looked at, written or not: it waits for a newer one (or a second). */
    private volatile HostStatus lastHandled;
    private volatile long writes;

    /**
     * @param onFailure hears of every failed etcd call (the agent tracks outages with it)
     * @param onSuccess hears of every status write that went through (etcd answers and takes this host's status)
     */
    public StatusPublisher(Dcs dcs, Duration heartbeat, Consumer<DcsException> onFailure,
                           Runnable onSuccess) {
        this.dcs = dcs;
        this.heartbeatNanos = heartbeat.toNanos();
        this.onFailure = onFailure;
        this.onSuccess = onSuccess;
        this.thread = new Thread(this::run, "status-publisher");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** The newest status; the publisher writes it when it is significant news or the heartbeat is due. */
    public synchronized void offer(HostStatus status) {
        pending = status;
        notifyAll();
    }

    /** How many status writes this publisher made: the agent's own load on etcd. */
    public long writes() {
        return writes;
    }

    /** Stops the thread and removes the status at once instead of waiting for the lease to run out. */
    @Override
    public void close() {
        synchronized (this) {
            stopping = true;
            notifyAll();
        }
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        while (true) {
            HostStatus next;
            synchronized (this) {
                if (!stopping && (pending == null || pending == lastHandled)) {
                    try {
                        wait(POLL_MILLIS);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (stopping) {
                    break;
                }
                next = pending;
            }
            if (next == null) {
                continue;
            }
            lastHandled = next;
            try {
                // Only a write says etcd takes this host's status: a status left for the heartbeat proves nothing
                // (etcd may have begun refusing the host, or gone away, since the last write).
                if (publish(next)) {
                    onSuccess.run();
                }
            } catch (DcsException e) {
                log.debug("status not published: {}", e.getMessage());
                onFailure.accept(e);
            } catch (RuntimeException e) {
                // Whatever happens here, the next round tries again: a status that silently froze would lie.
                log.error("publishing the status failed: {}", e.toString(), e);
            }
        }
        withdraw();
    }

    /** True when it wrote the status; false when it is left for the heartbeat. */
    private boolean publish(HostStatus status) throws DcsException {
        long now = System.nanoTime();
        if (leaseId != 0 && now - lastKeepAlive >= KEEPALIVE_NANOS) {
            try {
                dcs.keepAlive(leaseId);
            } catch (DcsException.LeaseLost e) {
                log.warn("status lease {} expired (etcd was unreachable for over {} s); taking a new one", leaseId,
                        LEASE_TTL_SECONDS);
                leaseId = 0;
            }
            lastKeepAlive = now;
        }
        boolean changed = lastWritten == null || !lastWritten.significant().equals(status.significant());
        if (leaseId != 0 && !changed && now - lastWrite < heartbeatNanos) {
            return false;
        }
        if (leaseId == 0) {
            leaseId = dcs.grantLease(LEASE_TTL_SECONDS);
            lastKeepAlive = now;
        }
        dcs.putStatus(status, leaseId);
        lastWritten = status;
        lastWrite = now;
        writes++;
        return true;
    }

    private void withdraw() {
        if (leaseId != 0) {
            try {
                dcs.revokeLease(leaseId);
            } catch (DcsException e) {
                log.debug("could not revoke lease on stop: {}", e.getMessage());
            }
        }
    }
}
