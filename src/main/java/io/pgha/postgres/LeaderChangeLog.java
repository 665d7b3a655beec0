package io.pgha.postgres;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.model.LeaderChange;
import java.util.function.Consumer;

/**
 * Where a leader change made here is recorded for {@code pghactl history}. Best effort: the change has happened, so
 * an implementation that cannot write says so in the log and returns.
 */
@FunctionalInterface
public interface LeaderChangeLog {
    LeaderChangeLog NONE = change -> { };

    void record(LeaderChange change);

    /** Into etcd; a failure (etcd away, grants older than the record) goes to {@code warn}. */
    static LeaderChangeLog into(Dcs dcs, Consumer<String> warn) {
        return change -> {
            try {
                dcs.recordLeaderChange(change);
            } catch (DcsException e) {
                warn.accept("the " + change.why() + " is not recorded for pghactl history: " + e.getMessage());
            }
        };
    }
}
