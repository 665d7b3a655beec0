package io.pgha.agent;

import io.pgha.model.DataPhase;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.ClusterSpec;
import io.pgha.model.Role;
import io.pgha.roles.DesiredState;
import io.pgha.roles.EtcdFacts;
import java.io.IOException;
import java.util.Optional;
import java.util.Set;

/** What the loop plans a pass with: {@link HostPlanner} on a host, a plan of plain files in the loop's tests. */
interface Planner {
    /** The roles the spec (or, without one, agent.yml's etcd members) gives this host. */
    Set<Role> roles(Optional<ClusterSpec> spec);

    /** This host's desired state for one pass; a data host's programs refuse {@code refusedAddresses}. */
    DesiredState plan(Optional<ClusterSpec> spec, Optional<ClusterSecrets> secrets, EtcdFacts etcd,
                      Optional<DataPhase> operation, Set<String> refusedAddresses) throws IOException;
}
