package io.pgha.agent;

import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether etcd answers this agent, as its spec follower and status publisher find out. An outage is logged once when
 * it starts and once when it ends, and shows in the status and on /health while it lasts.
 */
final class EtcdOutage {
    private static final Logger log = LoggerFactory.getLogger(EtcdOutage.class);
    private Instant since;
    private String reason = "";

    synchronized void failed(String why) {
        reason = why;
        if (since == null) {
            since = Instant.now();
            log.warn("etcd unreachable: {}; what runs keeps running, the last spec stays in force", why);
        }
    }

    synchronized void answered() {
        if (since != null) {
            log.info("etcd answers again after {} s", Instant.now().getEpochSecond() - since.getEpochSecond());
            since = null;
        }
    }

    /** "etcd unreachable since ..." while an outage lasts. */
    synchronized Optional<String> describe() {
        return since == null ? Optional.empty()
                : Optional.of("etcd unreachable since " + since.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                        + " (" + (Instant.now().getEpochSecond() - since.getEpochSecond()) + " s): " + reason);
    }
}
