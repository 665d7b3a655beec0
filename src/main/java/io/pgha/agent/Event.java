package io.pgha.agent;

import io.pgha.dcs.Versioned;
import io.pgha.model.Health;

/** News that wakes the agent's loop. Events only carry news: the loop alone decides and acts on it. */
sealed interface Event {
    /** The spec key holds this value (from a read or the watch). */
    record SpecSeen(Versioned spec) implements Event {
    }

    /** The spec key was deleted. */
    record SpecDeleted() implements Event {
    }

    /** A key a data host watches changed (a rotation step of the secrets, a cluster restore's phase): read again. */
    record DataKeyChanged() implements Event {
    }

    /** A data host's watch ended with an error: watch again at the next pass. */
    record DataWatchEnded() implements Event {
    }

    /** What the probes saw on this host just now. */
    record Probed(Health health) implements Event {
    }

    /** The agent is stopping: finish the current pass and return. */
    record Stop() implements Event {
    }
}
