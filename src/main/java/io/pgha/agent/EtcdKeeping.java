package io.pgha.agent;

import io.pgha.model.ClusterSpec;
import io.pgha.model.EtcdReport;
import io.pgha.model.Role;
import io.pgha.roles.EtcdFacts;
import java.util.Optional;
import java.util.Set;

/**
 * etcd's care around each pass ({@link EtcdCare} on a host): what the roles need to know of etcd before the plan,
 * the care itself as the first step after it, and what the status says of etcd.
 */
interface EtcdKeeping extends Step {
    EtcdFacts before(Optional<ClusterSpec> spec, Set<Role> roles);

    EtcdReport report();

    /** Nothing known of etcd, nothing done to it: a host whose loop is tested without etcd. */
    EtcdKeeping NONE = new EtcdKeeping() {
        @Override
        public EtcdFacts before(Optional<ClusterSpec> spec, Set<Role> roles) {
            return EtcdFacts.UNKNOWN;
        }

        @Override
        public EtcdReport report() {
            return EtcdReport.NONE;
        }

        @Override
        public String name() {
            return "etcd care";
        }

        @Override
        public boolean run(Pass pass) {
            return false;
        }
    };
}
