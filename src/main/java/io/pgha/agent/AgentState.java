package io.pgha.agent;

import io.pgha.engine.ConvergeRun;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.ClusterSpec;
import io.pgha.model.EtcdReport;
import io.pgha.model.Maintenance;
import io.pgha.model.Role;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What the loop made of the spec after its last cycle, handed as one immutable value to the probes and the status.
 *
 * @param spec             the spec followed (the last valid one seen), if any
 * @param followedRevision its generation (0 without one)
 * @param appliedRevision  the generation the last converge pass ran with
 * @param roles            the roles the last pass converged
 * @param expectedRoles    the roles the spec gives this host (before the first pass: what will be converged)
 * @param lastRun          the last pass, if one ran
 * @param specError        why the newest spec is not followed (refused, deleted), else empty
 * @param refusedRevision  the generation of the newest spec refused, 0 when none since the one followed
 * @param convergeError    why the last pass did not converge (a failed resource, a refused role), else empty
 * @param secrets          the cluster's passwords, for the probes only: never in the status
 * @param secretsRevision  the generation of those passwords in effect on this host (0: none needed or none yet)
 * @param etcd             what the agent knows of etcd and did to it
 * @param maintenance      the cluster's pause, while there is one
 * @param maintenanceKnown the maintenance key was read since the agent started
 */
record AgentState(Optional<ClusterSpec> spec, long followedRevision, long appliedRevision, Set<Role> roles,
                  Set<Role> expectedRoles, Optional<ConvergeRun> lastRun, List<String> warnings, String specError,
                  long refusedRevision, String convergeError, Optional<ClusterSecrets> secrets, long secretsRevision,
                  EtcdReport etcd, Optional<Maintenance> maintenance, boolean maintenanceKnown) {

    AgentState {
        roles = Role.ordered(roles);
        expectedRoles = Role.ordered(expectedRoles);
        warnings = List.copyOf(warnings);
    }

    static AgentState initial(Optional<ClusterSpec> spec, long revision, Set<Role> expected,
                              Optional<ClusterSecrets> secrets) {
        return new AgentState(spec, revision, 0, Set.of(), expected, Optional.empty(), List.of(), "", 0, "", secrets, 0,
                EtcdReport.NONE, Optional.empty(), false);
    }

    /** What a pause holds off must wait: the cluster is paused, or the agent has not read yet whether it is. */
    boolean holdsOff() {
        return maintenance.isPresent() || !maintenanceKnown;
    }

    ClusterSpec.Disk diskPolicy() {
        return spec.map(ClusterSpec::disk).orElse(ClusterSpec.Disk.DEFAULT);
    }

    /** The roles converged, and those about to be: a slow disk shows before the role is taken. */
    Set<Role> probedRoles() {
        Set<Role> all = EnumSet.noneOf(Role.class);
        all.addAll(roles);
        all.addAll(expectedRoles);
        return all;
    }
}
