package io.pgha.agent;

import io.pgha.dcs.Versioned;
import io.pgha.model.DataPhase;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.ClusterSpec;
import io.pgha.model.Health;
import java.util.List;
import java.util.Optional;

/**
 * What the agent's loop holds between passes, as one value replaced whole at each change.
 *
 * @param followed        the spec text followed (the last valid one seen) and its generation
 * @param spec            that spec, parsed
 * @param specError       why the newest spec is not followed (refused, deleted), else empty
 * @param secrets         the cluster's passwords and their generation (a data host's)
 * @param operation       the cluster restore or major upgrade this data host takes part in, as its request key says
 * @param probed          what the probes saw last
 * @param dataHost        the last pass converged the data role
 * @param roleWarnings    what the roles said of the last pass
 * @param renderedSecrets the secrets generation the last converged pass of a data host wrote into patroni.yml
 * @param reported        the state last handed to the reporter
 */
record LoopState(Optional<Versioned<String>> followed, Optional<ClusterSpec> spec, String specError,
                 Optional<Versioned<ClusterSecrets>> secrets, Optional<DataPhase> operation, Health probed,
                 boolean dataHost, List<String> roleWarnings, long renderedSecrets, AgentState reported) {

    LoopState {
        roleWarnings = List.copyOf(roleWarnings);
    }

    static LoopState empty() {
        return new LoopState(Optional.empty(), Optional.empty(), "", Optional.empty(), Optional.empty(), Health.NONE,
                false, List.of(), 0, AgentState.initial(Optional.empty(), 0, java.util.Set.of(), Optional.empty()));
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
        return new LoopState(Optional.of(text), Optional.of(parsed), "", secrets, operation, probed, dataHost,
                roleWarnings, renderedSecrets, reported);
    }

    LoopState withSpecError(String error) {
        return new LoopState(followed, spec, error, secrets, operation, probed, dataHost, roleWarnings,
                renderedSecrets, reported);
    }

    LoopState withSecrets(Versioned<ClusterSecrets> value) {
        return new LoopState(followed, spec, specError, Optional.of(value), operation, probed, dataHost, roleWarnings,
                renderedSecrets, reported);
    }

    LoopState withOperation(Optional<DataPhase> value) {
        return new LoopState(followed, spec, specError, secrets, value, probed, dataHost, roleWarnings,
                renderedSecrets, reported);
    }

    LoopState withProbed(Health value) {
        return new LoopState(followed, spec, specError, secrets, operation, value, dataHost, roleWarnings,
                renderedSecrets, reported);
    }

    LoopState afterPass(boolean data, List<String> warnings, long rendered) {
        return new LoopState(followed, spec, specError, secrets, operation, probed, data, warnings, rendered, reported);
    }

    LoopState withReported(AgentState value) {
        return new LoopState(followed, spec, specError, secrets, operation, probed, dataHost, roleWarnings,
                renderedSecrets, value);
    }
}
