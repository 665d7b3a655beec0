package io.pgha.agent;

import io.pgha.model.Health;
import java.util.List;
import java.util.OptionalLong;

/**
 * Work the loop does after each converge pass, one concern per step, in the order {@link AgentLoop} documents. A step
 * decides from the {@link Pass} whether it has anything to do; one that fails is logged and reported, and the steps
 * after it still run.
 */
interface Step {
    /** Its name in logs and in the status's error. */
    String name();

    /** Takes the step a pass further; true while it is under way, so that the loop comes back soon. */
    boolean run(Pass pass) throws Exception;

    /** What the status should say about it now. */
    default List<String> warnings() {
        return List.of();
    }

    /** What the step could not do, for the status's error when the pass itself had none. */
    default String error() {
        return "";
    }

    /** Whether what the probes just saw calls for a pass at once. */
    default boolean urgent(Health probed, long secretsRevision) {
        return false;
    }

    /** The secrets generation this step has put in effect, for a step that puts the secrets anywhere. */
    default OptionalLong secretsInEffect(Health probed) {
        return OptionalLong.empty();
    }
}
