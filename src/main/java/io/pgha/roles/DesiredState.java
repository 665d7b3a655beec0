package io.pgha.roles;

import io.pgha.model.Role;
import io.pgha.postgres.PatroniConfig;
import io.pgha.resources.Resource;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Everything one host should have, and for which roles.
 *
 * @param refused       roles the host is for but does not take, with the reason (their resources are left out)
 * @param awaitsInstall a role's program is not installed yet: only its packages are here, and the rest (rendered
 *                      for the installed version) comes in a pass after the install
 * @param restartsDue   roles whose config changed under their running program, which keeps running as it is until
 *                      its agent holds the role's lock (etcd members restart one at a time)
 * @param patroni       the data role's patroni.yml as built for this pass (the rolling restart takes Postgres's
 *                      parameters from it), if the host plans one
 */
public record DesiredState(Set<Role> roles, List<Resource> resources, List<String> warnings,
                           Map<Role, String> refused, boolean awaitsInstall, Set<Role> restartsDue,
                           Optional<PatroniConfig.Document> patroni) {
    public DesiredState {
        roles = Role.ordered(roles);
        resources = List.copyOf(resources);
        warnings = List.copyOf(warnings);
        refused = Collections.unmodifiableMap(new LinkedHashMap<>(refused));
        restartsDue = Role.ordered(restartsDue);
    }

    /** Whether etcd.yml changed under the running member, which waits for the etcd lock to restart. */
    public boolean etcdRestartDue() {
        return restartsDue.contains(Role.ETCD);
    }

    /** The first refused role with why, or empty. */
    public String refusal() {
        return refused.entrySet().stream().map(e -> "refusing role " + e.getKey().id() + ": " + e.getValue())
                .findFirst().orElse("");
    }

    public boolean has(Role role) {
        return roles.contains(role);
    }
}
