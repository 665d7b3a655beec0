package io.pgha.postgres;

import io.pgha.model.Health;
import java.io.IOException;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Works around a Patroni 3.0 bug that demotes a healthy leader when etcd comes back from an outage. During an
 * outage a leader on failsafe calls every replica's {@code POST /failsafe}, and each replica remembers that leader's
 * name for good. Should such a replica become leader later and etcd fail again for longer than ttl, Patroni on it
 * revives that stale name: when etcd returns without the leader key, it reads "Lock owner: (the old leader); I am
 * (itself)" and demotes itself at once (immediate-nolock), leaving no primary until another member's leader race.
 * Patroni 3.1 forgets the name on promotion (patroni/patroni#2803). Here each replica's agent, once the outage has
 * passed (the failsafe call is older than ttl and Patroni sees a leader key again), sends its Patroni one
 * failsafe call with an empty name: Patroni treats a nameless failsafe leader as none, exactly as on a Patroni
 * that was never called. A leader whose own etcd client comes back later may call again after that; so a ttl after
 * our call, Patroni still reporting failsafe means it was called again, and the name is forgotten again. Harmless
 * on Patroni 3.1 and later.
 */
public final class FailsafeMemory {
    public static final String WARNING = "Patroni here remembers the leader that called it on failsafe; forgotten once"
            + " etcd is back (Patroni 3.0 would demote this member if it led during the next etcd outage)";
    private static final Logger log = LoggerFactory.getLogger(FailsafeMemory.class);
    /** After our own call Patroni reports failsafe active for ttl; a little longer, and it is someone else's. */
    private static final Duration MARGIN = Duration.ofSeconds(5);

    private final LongSupplier clock;
    private boolean stale;
    private boolean verifying;
    private long verifyUntil;

    public FailsafeMemory() {
        this(System::nanoTime);
    }

    /** @param clock nanoseconds, as {@link System#nanoTime()} */
    FailsafeMemory(LongSupplier clock) {
        this.clock = clock;
    }

    /**
     * Takes in what the probes saw; true when a stale name is now known and could be forgotten (call {@link #step}).
     * While our own call is being verified, a failsafe flag may be our own doing and is left to {@link #step}.
     */
    public boolean observe(Health.Patroni seen) {
        if (seen != null && seen.isFailsafeActive() && !seen.isLeader() && !verifying) {
            if (!stale) {
                log.info("a leader on failsafe called this replica's Patroni: its name is forgotten once etcd is"
                        + " back");
            }
            stale = true;
        }
        return stale;
    }

    /** A leader's name may still be remembered: from a call, or a leader's call may have come after our own. */
    public boolean isStale() {
        return stale || verifying;
    }

    /** Forgets the stale name when it is safe to; true while there is more to do (call again soon). */
    public boolean step(PatroniApi patroni, Duration ttl) throws IOException {
        if (verifying) {
            if (clock.getAsLong() - verifyUntil < 0) {
                return true;
            }
            verifying = false;
            // Our own call shows as failsafe for ttl, no longer: still active now means a leader on failsafe called
            // again (its etcd client may come back later than ours), and remembers its name again.
            if (patroni.member().failsafeActive()) {
                log.info("a leader on failsafe called this replica's Patroni again: forgetting its name again");
                stale = true;
            }
        }
        if (!stale) {
            return false;
        }
        PatroniClient.Member me = patroni.member();
        if (me.isLeader()) {
            // A leader refuses the call; forgotten after it is a replica again.
            return false;
        }
        if (me.failsafeActive() || me.clusterUnlocked()) {
            return true;
        }
        patroni.forgetFailsafeLeader();
        stale = false;
        verifying = true;
        verifyUntil = clock.getAsLong() + ttl.plus(MARGIN).toNanos();
        log.info("Patroni here forgot the leader a failsafe call named (Patroni 3.0 would demote this member if it"
                + " led during the next etcd outage); checking in {} s that no leader called again",
                ttl.plus(MARGIN).toSeconds());
        return true;
    }
}
