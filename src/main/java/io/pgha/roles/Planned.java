package io.pgha.roles;

import io.pgha.postgres.PatroniConfig;
import io.pgha.resources.Resource;
import java.util.List;
import java.util.Optional;

/**
 * What one role planned.
 *
 * @param resources  in the order they are converged
 * @param warnings   what the status should say about the role
 * @param restartDue the role's config changed under its running program, which keeps running as it is until its
 *                   agent holds the role's lock (etcd members restart one at a time)
 * @param patroni    the data role's patroni.yml, built once this pass: the file, Patroni's reload and its dynamic
 *                   configuration all come from it
 */
record Planned(List<Resource> resources, List<String> warnings, boolean restartDue,
               Optional<PatroniConfig.Document> patroni) {
    Planned {
        resources = List.copyOf(resources);
        warnings = List.copyOf(warnings);
    }

    static Planned of(List<Resource> resources, List<String> warnings) {
        return new Planned(resources, warnings, false, Optional.empty());
    }
}
