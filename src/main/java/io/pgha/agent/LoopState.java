package io.pgha.agent;

import io.pgha.dcs.Versioned;
import io.pgha.model.DataPhase;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.ClusterSpec;
import io.pgha.model.Health;
import io.pgha.model.Maintenance;
import io.pgha.model.RevokedHosts;
import java.util.List;
import java.util.Optional;

/**
 * What the agent's loop holds between passes, as one value replaced whole at each change.
 *
 * @param followed        the spec text followed (the last valid one seen) and its generation
 * @param spec            that spec, parsed
 * @param specError       why the newest spec is not followed (refused, deleted), else empty
 * @param refusedRevision the generation of the newest spec refused, 0 when none since the one followed
 * @param secrets         the cluster's passwords and their generation (a data host's)
 * @param operation       the cluster restore or major upgrade this data host takes part in, as its request key says
 * @param probed          what the probes saw last
 * @param dataHost        the last pass converged the data role
 * @param roleWarnings    what the roles said of the last pass
 * @param renderedSecrets the secrets generation the last converged pass of a data host wrote into patroni.yml
 * @param reported        the state last handed to the reporter
 * @param maintenance     the cluster's pause, while the maintenance key holds one
 * @param maintenanceKnown the maintenance key was read since the agent started (until then nothing that a pause
 *                        holds off may start: the cluster may well be paused)
 * @param revoked         the hosts pghactl revoked (followed on a data host)
 */
record LoopState(Optional<Versioned<String>> followed, Optional<ClusterSpec> spec, String specError,
                 long refusedRevision, Optional<Versioned<ClusterSecrets>> secrets, Optional<DataPhase> operation,
                 Health probed, boolean dataHost, List<String> roleWarnings, long renderedSecrets, AgentState reported,
                 Optional<Maintenance> maintenance, boolean maintenanceKnown, RevokedHosts revoked) {

    LoopState {
        roleWarnings = List.copyOf(roleWarnings);
    }

    static LoopState empty() {
        return new LoopState(Optional.empty(), Optional.empty(), "", 0, Optional.empty(), Optional.empty(),
                Health.NONE, false, List.of(), 0,
                AgentState.initial(Optional.empty(), 0, java.util.Set.of(), Optional.empty()), Optional.empty(),
                false, RevokedHosts.NONE);
    }

    long revision() {
        return followed.map(Versioned::modRevision).orElse(0L);
    }

    String revisionText() {
        return followed.map(v -> Long.toString(v.modRevision())).orElse("none");
    }

    Optional<ClusterSecrets> secretValues() {
        return secrets.map(Versioned::value);
    }

    long secretsRevision() {
        return secrets.map(Versioned::modRevision).orElse(0L);
    }

    LoopState following(Versioned<String> text, ClusterSpec parsed) {
        return new LoopState(Optional.of(text), Optional.of(parsed), "", 0, secrets, operation, probed, dataHost,
                roleWarnings, renderedSecrets, reported, maintenance, maintenanceKnown, revoked);
    }

    LoopState withSpecError(String error, long refused) {
        return new LoopState(followed, spec, error, refused, secrets, operation, probed, dataHost, roleWarnings,
                renderedSecrets, reported, maintenance, maintenanceKnown, revoked);
    }

    LoopState withSecrets(Versioned<ClusterSecrets> value) {
        return new LoopState(followed, spec, specError, refusedRevision, Optional.of(value), operation, probed,
                dataHost, roleWarnings, renderedSecrets, reported, maintenance, maintenanceKnown, revoked);
    }

    LoopState withOperation(Optional<DataPhase> value) {
        return new LoopState(followed, spec, specError, refusedRevision, secrets, value, probed, dataHost,
                roleWarnings, renderedSecrets, reported, maintenance, maintenanceKnown, revoked);
    }

    LoopState withProbed(Health value) {
        return new LoopState(followed, spec, specError, refusedRevision, secrets, operation, value, dataHost,
                roleWarnings, renderedSecrets, reported, maintenance, maintenanceKnown, revoked);
    }

    LoopState afterPass(boolean data, List<String> warnings, long rendered) {
        return new LoopState(followed, spec, specError, refusedRevision, secrets, operation, probed, data, warnings,
                rendered, reported, maintenance, maintenanceKnown, revoked);
    }

    LoopState withReported(AgentState value) {
        return new LoopState(followed, spec, specError, refusedRevision, secrets, operation, probed, dataHost,
                roleWarnings, renderedSecrets, value, maintenance, maintenanceKnown, revoked);
    }

    LoopState withMaintenance(Optional<Maintenance> value) {
        return new LoopState(followed, spec, specError, refusedRevision, secrets, operation, probed, dataHost,
                roleWarnings, renderedSecrets, reported, value, true, revoked);
    }

    LoopState withRevoked(RevokedHosts value) {
        return new LoopState(followed, spec, specError, refusedRevision, secrets, operation, probed, dataHost,
                roleWarnings, renderedSecrets, reported, maintenance, maintenanceKnown, value);
    }

    /** The addresses this host's Patroni and PostgreSQL refuse: the revoked hosts' that the spec gives no other. */
    java.util.Set<String> refusedAddresses() {
        return spec.map(revoked::refusedAddresses).orElse(java.util.Set.of());
    }
}
