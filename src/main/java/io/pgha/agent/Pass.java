package io.pgha.agent;

import io.pgha.engine.ConvergeRun;
import io.pgha.model.DataPhase;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.ClusterSpec;
import io.pgha.model.Health;
import io.pgha.model.Maintenance;
import io.pgha.model.Role;
import io.pgha.roles.DesiredState;
import java.util.Optional;

/**
 * One converge pass as the steps after it see it.
 *
 * @param spec            the spec the pass ran with
 * @param secrets         the cluster's passwords (a data host's), with their generation
 * @param secretsRevision that generation (0 without secrets)
 * @param desired         what the pass planned
 * @param run             what the engine did
 * @param probed          what the probes saw last
 * @param operation       the cluster restore or major upgrade this host takes part in, if any
 * @param maintenance     the cluster's pause, while there is one: no upkeep that restarts or rebuilds anything
 * @param maintenanceKnown the maintenance key was read since the agent started (until then the pass holds off too)
 */
record Pass(Optional<ClusterSpec> spec, Optional<ClusterSecrets> secrets, long secretsRevision, DesiredState desired,
            ConvergeRun run, Health probed, Optional<DataPhase> operation, Optional<Maintenance> maintenance,
            boolean maintenanceKnown) {

    /** The host converged with nothing refused: what follows may build on what runs. */
    boolean settled() {
        return run.converged() && desired.refused().isEmpty();
    }

    /**
     * A settled data host outside a cluster restore or major upgrade (which stop and rebuild every member):
     * Patroni's and Postgres's upkeep may go on.
     */
    boolean dataUpkeep() {
        return settled() && desired.has(Role.DATA) && spec.isPresent()
                && operation.filter(DataPhase::active).isEmpty();
    }

    /** What a pause holds off must wait: the cluster is paused, or whether it is was not read yet. */
    boolean holdsOff() {
        return maintenance.isPresent() || !maintenanceKnown;
    }

    /** Upkeep that restarts or rebuilds something (a rolling restart, a replica repair) may start. */
    boolean disruptiveUpkeep() {
        return dataUpkeep() && !holdsOff();
    }

    /** Patroni here leads and its Postgres runs, as the probes saw last. */
    boolean leaderRunning() {
        return leaderRunning(probed);
    }

    static boolean leaderRunning(Health probed) {
        Health.Patroni p = probed.patroni();
        return p != null && p.isLeader() && "running".equals(p.state());
    }
}
