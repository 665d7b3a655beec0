package io.pgha.agent;

import io.pgha.model.DataPhase;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.ClusterSpec;
import io.pgha.model.HostPaths;
import io.pgha.model.Role;
import io.pgha.roles.DesiredState;
import io.pgha.roles.EtcdFacts;
import io.pgha.roles.HostRoles;
import io.pgha.roles.PlanInput;
import java.io.IOException;
import java.util.Optional;
import java.util.Set;

/**
 * A host's plan for one pass, the one way the agent's loop and {@code pghactl plan} make it: the host certificate
 * renewed if due (before the roles copy it to their programs), the roles a slow disk refuses, then every role's
 * resources.
 */
public final class HostPlanner implements Planner {
    /** Renews the host certificate when it is due; {@code pghactl plan} renews nothing. */
    interface Renewal {
        void ensure() throws IOException;
    }

    private final HostRoles roles;
    private final DiskGate gate;
    private final Renewal renewal;

    HostPlanner(HostRoles roles, DiskGate gate, Renewal renewal) {
        this.roles = roles;
        this.gate = gate;
        this.renewal = renewal;
    }

    /** A planner for {@code pghactl plan}: its own fsync probes, no renewal. */
    public static HostPlanner forPlan(HostRoles roles, HostPaths paths) {
        return new HostPlanner(roles, new DiskGate(roles, paths, new FsyncResults()), () -> { });
    }

    @Override
    public Set<Role> roles(Optional<ClusterSpec> spec) {
        return roles.roles(spec);
    }

    @Override
    public DesiredState plan(Optional<ClusterSpec> spec, Optional<ClusterSecrets> secrets, EtcdFacts etcd,
                             Optional<DataPhase> operation, Set<String> refusedAddresses) throws IOException {
        renewal.ensure();
        return roles.desired(new PlanInput(spec, secrets, gate.refusals(spec), etcd, operation, refusedAddresses));
    }
}
