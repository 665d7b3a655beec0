package io.pgha.role;

import io.pgha.resource.Resource;
import io.pgha.spec.Role;
import java.util.List;
import java.util.Optional;

/** Everything one host should have, and under which role. */
public record DesiredState(Optional<Role> role, List<Resource> resources, List<String> warnings) {
    public DesiredState {
        resources = List.copyOf(resources);
        warnings = List.copyOf(warnings);
    }
}
