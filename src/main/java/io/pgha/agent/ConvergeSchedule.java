package io.pgha.agent;

import java.time.Duration;

/**
 * When the next converge pass runs after one ended: after the drift interval when the host settled; every few seconds
 * while a rolling restart goes on here, a replica here does not stream, Patroni here has a failsafe leader to
 * forget, or an etcd step is under way (a member joining or restarting, a member to remove, an alarm); after a failure with a backoff from 1 s doubling up to the drift interval (a program that just started is
 * often not answering yet on the first pass). A spec change runs a pass at once.
 */
final class ConvergeSchedule {
    /** How a converge pass ended. */
    enum Pass { SETTLED, FAILED, ROLLING_OUT }

    static final Duration ROLLOUT_POLL = Duration.ofSeconds(2);
    private static final int MAX_DOUBLINGS = 5;

    private final Duration drift;
    private int failures;

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

    int failures() {
        return failures;
    }
}
