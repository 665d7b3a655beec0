package io.pgha.roles;

import io.pgha.model.DataPhase;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.ClusterSpec;
import io.pgha.model.Role;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Everything a host's plan is made from in one pass, the same for the agent and {@code pghactl plan}.
 *
 * @param spec    the spec followed, if any
 * @param secrets the cluster's passwords (a data host's only)
 * @param refused roles the host is for but must not take now, with the reason (a slow disk)
 * @param etcd    what the agent knows of etcd this pass
 * @param operation the cluster restore or major upgrade this data host takes part in, if any
 * @param refusedAddresses the revoked hosts' addresses, which a data host's Patroni and PostgreSQL refuse
 */
public record PlanInput(Optional<ClusterSpec> spec, Optional<ClusterSecrets> secrets, Map<Role, String> refused,
                        EtcdFacts etcd, Optional<DataPhase> operation, Set<String> refusedAddresses) {
    public PlanInput {
        refused = refused.isEmpty() ? Map.of() : Collections.unmodifiableMap(new EnumMap<>(refused));
        refusedAddresses = Set.copyOf(refusedAddresses);
    }

    /** With no host revoked. */
    public PlanInput(Optional<ClusterSpec> spec, Optional<ClusterSecrets> secrets, Map<Role, String> refused,
                     EtcdFacts etcd, Optional<DataPhase> operation) {
        this(spec, secrets, refused, etcd, operation, Set.of());
    }

    /** A plan from the spec and secrets alone: nothing refused, nothing known of etcd, no cluster operation. */
    public static PlanInput of(Optional<ClusterSpec> spec, Optional<ClusterSecrets> secrets) {
        return new PlanInput(spec, secrets, Map.of(), EtcdFacts.UNKNOWN, Optional.empty());
    }
}
