package io.pgha.agent;

import java.time.Duration;

/**
 * When the next converge pass runs after one ended: after the drift interval when the host settled; every few seconds
 * while a rolling restart goes on here, a replica here does not stream, Patroni here has a failsafe leader to
 * forget, or an etcd step is under way (a member joining or restarting, a member to remove, an alarm); after a failure with a backoff from 1 s doubling up to the drift interval (a program that just started is
 * often not answering yet on the first pass). A spec change runs a pass at once, and so does etcd's return after a
 * pass failed: what failed during an outage (Patroni's REST API hangs while Patroni waits for etcd) would otherwise
 * stay the host's first /health reason for up to the backoff's ceiling after etcd answers again.
 */
final class ConvergeSchedule {
    /** How a converge pass ended. */
    enum Pass { SETTLED, FAILED, ROLLING_OUT }

    static final Duration ROLLOUT_POLL = Duration.ofSeconds(2);
    private static final int MAX_DOUBLINGS = 5;

    private final Duration drift;
    private int failures;
    private boolean etcdAway;

    ConvergeSchedule(Duration drift) {
        this.drift = drift;
    }

    /** Records how a pass ended; returns how long until the next one. */
    Duration after(Pass pass) {
        failures = pass == Pass.FAILED ? failures + 1 : 0;
        return switch (pass) {
            case SETTLED -> drift;
            case ROLLING_OUT -> ROLLOUT_POLL.compareTo(drift) < 0 ? ROLLOUT_POLL : drift;
            case FAILED -> {
                Duration backoff = Duration.ofSeconds(1L << Math.min(failures - 1, MAX_DOUBLINGS));
                yield backoff.compareTo(drift) < 0 ? backoff : drift;
            }
        };
    }

    /**
     * Whether etcd is away, as the loop sees it when it wakes; true when etcd just came back after a failed pass:
     * a pass runs now, and the backoff starts over (those failures were the outage's).
     */
    boolean etcdSeen(boolean away) {
        boolean back = etcdAway && !away;
        etcdAway = away;
        if (back && failures > 0) {
            failures = 0;
            return true;
        }
        return false;
    }

    int failures() {
        return failures;
    }
}
