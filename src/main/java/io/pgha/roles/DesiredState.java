package io.pgha.roles;

import io.pgha.model.Role;
import io.pgha.resources.Resource;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything one host should have, and for which roles.
 *
 * @param refused       roles the host is for but does not take, with the reason (their resources are left out)
 * @param awaitsInstall a role's program is not installed yet: only its packages are here, and the rest (rendered
 *                      for the installed version) comes in a pass after the install
 * @param etcdRestartDue etcd.yml changed under a running member, which keeps running as it is until its agent holds
 *                      the etcd lock (members restart one at a time)
 */
public record DesiredState(Set<Role> roles, List<Resource> resources, List<String> warnings,
                           Map<Role, String> refused, boolean awaitsInstall, boolean etcdRestartDue) {
    public DesiredState {
        roles = Role.ordered(roles);
        resources = List.copyOf(resources);
        warnings = List.copyOf(warnings);
        refused = Collections.unmodifiableMap(new LinkedHashMap<>(refused));
    }

    public boolean has(Role role) {
        return roles.contains(role);
    }
}
