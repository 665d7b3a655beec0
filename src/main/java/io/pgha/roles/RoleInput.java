package io.pgha.roles;

import io.pgha.model.ClusterSpec;
import io.pgha.model.ProgramVersion;
import java.util.Optional;

/**
 * What one role is planned from: its definition and the version of its program installed here, the pass's inputs,
 * and this host's entry in the spec (present for every role but a spec-less etcd member's).
 */
record RoleInput(RoleDefinition def, ProgramVersion installed, PlanInput pass, Optional<ClusterSpec.Host> me) {
    ClusterSpec spec() {
        return pass.spec().orElseThrow(() -> new IllegalStateException("role " + def + " planned without a spec"));
    }

    ClusterSpec.Host host() {
        return me.orElseThrow(() -> new IllegalStateException("role " + def + " planned for a host not in the spec"));
    }
}
