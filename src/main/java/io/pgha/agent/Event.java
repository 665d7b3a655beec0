package io.pgha.agent;

import io.pgha.dcs.Versioned;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.Health;
import io.pgha.model.HostRequest;
import io.pgha.model.Maintenance;
import io.pgha.model.RevokedHosts;
import java.util.Optional;

/** News that wakes the agent's loop. Events only carry news: the loop alone decides and acts on it. */
sealed interface Event {
    /** The spec key holds this value, or none (deleted, or never applied). */
    record SpecRead(Optional<Versioned<String>> spec) implements Event {
    }

    /** The secrets key holds this value (read on a data host only). */
    record SecretsRead(Optional<Versioned<ClusterSecrets>> secrets) implements Event {
    }

    /** This host's request key holds this value (read on a data host, for a cluster restore's phases). */
    record RequestRead(Optional<Versioned<HostRequest>> request) implements Event {
    }

    /** The maintenance key holds this pause, or none (the cluster runs normally). */
    record MaintenanceRead(Optional<Versioned<Maintenance>> maintenance) implements Event {
    }

    /** The hosts pghactl revoked (read on a data host, whose Patroni and PostgreSQL refuse them). */
    record RevokedRead(Optional<Versioned<RevokedHosts>> revoked) implements Event {
    }

    /** What the probes saw on this host just now. */
    record Probed(Health health) implements Event {
    }

    /** The agent is stopping: finish the current pass and return. */
    record Stop() implements Event {
    }
}
