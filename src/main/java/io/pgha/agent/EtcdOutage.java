package io.pgha.agent;

import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether etcd answers this agent, as its spec follower and status publisher find out. An outage is logged once when
 * it starts and once when it ends, and shows in the status and on /health while it lasts. etcd refusing this host
 * (no user for it: a host the spec does not list) is no outage, and says so.
 */
final class EtcdOutage {
    private static final Logger log = LoggerFactory.getLogger(EtcdOutage.class);
    private Instant since;
    private String reason = "";
    private String refusal = "";

    /** etcd answered and said no: no outage, but this host cannot do its part until the spec lists it. */
    synchronized void refused(String why) {
        if (refusal.isEmpty()) {
            log.warn("etcd refuses this host: {} (pghactl apply gives each host of the spec its etcd user)", why);
        }
        refusal = why;
        answered();
    }

    /** A status write went through: etcd no longer refuses this host. */
    synchronized void accepted() {
        refusal = "";
    }

    /** A call failed: a refusal is told apart from an outage. */
    void failed(io.pgha.dcs.DcsException e) {
        if (e instanceof io.pgha.dcs.DcsException.Refused) {
            refused(e.getMessage());
        } else {
            failed(e.getMessage());
        }
    }

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

    /** Whether etcd is unreachable now. */
    synchronized boolean ongoing() {
        return since != null;
    }

    /** "etcd unreachable since ..." while an outage lasts; "etcd refuses this host: ..." while it refuses. */
    synchronized Optional<String> describe() {
        if (since == null && !refusal.isEmpty()) {
            return Optional.of("etcd refuses this host (not in the cluster spec?): " + refusal);
        }
        return since == null ? Optional.empty()
                : Optional.of("etcd unreachable since " + since.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                        + " (" + (Instant.now().getEpochSecond() - since.getEpochSecond()) + " s): " + reason);
    }
}
