package io.pgha.role;

import io.pgha.spec.ClusterSecrets;
import io.pgha.spec.ClusterSpec;
import io.pgha.spec.Role;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Turns the spec (or its absence) into the resources this host needs. */
public final class HostRoles {
    private final HostContext ctx;

    public HostRoles(HostContext ctx) {
        this.ctx = ctx;
    }

    /**
     * An etcd member converges etcd before any spec exists (static bootstrap, like the guide). With a spec, the
     * host's entry decides; a host the spec does not name gets nothing and says so.
     */
    public DesiredState desired(Optional<ClusterSpec> spec, Optional<ClusterSecrets> secrets) throws IOException {
        List<String> warnings = new ArrayList<>();
        Optional<Role> role;
        if (spec.isEmpty()) {
            boolean member = ctx.agent().memberAt(ctx.identity().address()).isPresent();
            role = member ? Optional.of(Role.ETCD) : Optional.empty();
            if (!member) {
                warnings.add("waiting for the cluster spec (pghactl apply -f cluster.yml)");
            }
        } else {
            Optional<ClusterSpec.Host> me = spec.get().host(ctx.identity().name());
            if (me.isPresent() && !me.get().address().equals(ctx.identity().address())) {
                throw new IOException("the spec gives host " + ctx.identity().name() + " address "
                        + me.get().address() + " but this host is " + ctx.identity().address());
            }
            role = me.map(ClusterSpec.Host::role);
            if (me.isEmpty()) {
                warnings.add("host " + ctx.identity().name() + " is not in the cluster spec: nothing to converge");
            }
        }
        if (role.isEmpty()) {
            return new DesiredState(role, List.of(), warnings);
        }
        RoleDefinition def = RoleDefinition.load(ctx.rolesDir(), role.get());
        return switch (role.get()) {
            case ETCD -> new DesiredState(role, EtcdRole.resources(ctx, def), warnings);
            case LB -> new DesiredState(role, LbRole.resources(ctx, def, spec.get(), me(spec.get())), warnings);
            case DATA -> {
                if (secrets.isEmpty()) {
                    warnings.add("waiting for the cluster secrets (written by the first pghactl apply)");
                    yield new DesiredState(role, List.of(), warnings);
                }
                yield new DesiredState(role, DataRole.resources(ctx, def, spec.get(), me(spec.get()), secrets.get()),
                        warnings);
            }
        };
    }

    private ClusterSpec.Host me(ClusterSpec spec) {
        return spec.host(ctx.identity().name()).orElseThrow();
    }
}
