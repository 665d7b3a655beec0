package io.pgha.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Patroni's ttl, loop_wait and retry_timeout, and what a given Patroni makes of them. Since 3.2 Patroni raises a
 * value below its minimum (ttl 20, loop_wait 1, retry_timeout 3) and shrinks loop_wait, then retry_timeout, until
 * {@code loop_wait + 2*retry_timeout <= ttl}, logging only a warning (patroni/config.py,
 * {@code _validate_and_adjust_timeouts}); older Patroni runs the values as given.
 */
public record PatroniTimers(int ttl, int loopWait, int retryTimeout) {
    public static final int MIN_TTL = 20;
    public static final int MIN_LOOP_WAIT = 1;
    public static final int MIN_RETRY_TIMEOUT = 3;
    /** The first Patroni that adjusts the timers. */
    public static final ProgramVersion ADJUSTING_SINCE = ProgramVersion.of(3, 2);

    public static PatroniTimers of(ClusterSpec.Patroni p) {
        return new PatroniTimers(p.ttl(), p.loopWait(), p.retryTimeout());
    }

    /** What the given Patroni runs with these values, computed as Patroni computes it. */
    public PatroniTimers effective(ProgramVersion patroni) {
        if (!patroni.atLeast(ADJUSTING_SINCE.major(), ADJUSTING_SINCE.minor())) {
            return this;
        }
        int loop = Math.max(loopWait, MIN_LOOP_WAIT);
        int retry = Math.max(retryTimeout, MIN_RETRY_TIMEOUT);
        int t = Math.max(ttl, MIN_TTL);
        if (MIN_LOOP_WAIT + 2 * retry > t) {
            return new PatroniTimers(t, MIN_LOOP_WAIT, (t - MIN_LOOP_WAIT) / 2);
        }
        if (loop + 2 * retry > t) {
            return new PatroniTimers(t, t - 2 * retry, retry);
        }
        return new PatroniTimers(t, loop, retry);
    }

    /**
     * One line per value the given Patroni would run differently ("patroni.ttl: 15 runs as 20 on Patroni 4.0.7
     * ..."), empty when these values are what runs.
     */
    public List<String> changesOn(ProgramVersion patroni) {
        PatroniTimers runs = effective(patroni);
        List<String> out = new ArrayList<>();
        differs(out, "ttl", ttl, runs.ttl, patroni, "at least " + MIN_TTL);
        differs(out, "loop_wait", loopWait, runs.loopWait, patroni, "at least " + MIN_LOOP_WAIT
                + ", and loop_wait + 2*retry_timeout <= ttl");
        differs(out, "retry_timeout", retryTimeout, runs.retryTimeout, patroni, "at least " + MIN_RETRY_TIMEOUT
                + ", and loop_wait + 2*retry_timeout <= ttl");
        return out;
    }

    /** Warnings for values that only older Patroni (before 3.2) runs as given. */
    public List<String> belowNewerMinimums() {
        List<String> out = new ArrayList<>();
        PatroniTimers newer = effective(ADJUSTING_SINCE);
        if (!newer.equals(this)) {
            out.add("patroni: ttl " + ttl + ", loop_wait " + loopWait + ", retry_timeout " + retryTimeout
                    + " hold only on Patroni before 3.2; Patroni 3.2 and later (Debian 13, EL's PGDG) would run ttl "
                    + newer.ttl + ", loop_wait " + newer.loopWait + ", retry_timeout " + newer.retryTimeout
                    + ", and agents with such a Patroni refuse the spec");
        }
        return out;
    }

    private static void differs(List<String> out, String field, int given, int runs, ProgramVersion patroni,
                                String rule) {
        if (given != runs) {
            out.add("patroni." + field + ": " + given + " would run as " + runs + " on the installed Patroni " + patroni
                    + " (" + rule + ")");
        }
    }

    @Override
    public String toString() {
        return "ttl " + ttl + ", loop_wait " + loopWait + ", retry_timeout " + retryTimeout;
    }
}
