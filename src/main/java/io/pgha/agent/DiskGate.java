package io.pgha.agent;

import io.pgha.model.ClusterSpec;
import io.pgha.model.HostPaths;
import io.pgha.model.Role;
import io.pgha.roles.HostRoles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * With {@code disk.on_slow_fsync: refuse}, each etcd or data role this host has not taken yet is measured afresh
 * before it is taken, and refused on a slow disk. A role already taken is never given up: stopping etcd or Postgres
 * would turn slowness into an outage.
 */
final class DiskGate {
    private final HostRoles hostRoles;
    private final HostPaths paths;
    private final FsyncResults fsync;

    DiskGate(HostRoles hostRoles, HostPaths paths, FsyncResults fsync) {
        this.hostRoles = hostRoles;
        this.paths = paths;
        this.fsync = fsync;
    }

    /** The roles refused, each with its reason. */
    Map<Role, String> refusals(Optional<ClusterSpec> spec) throws IOException {
        if (spec.isEmpty() || !spec.get().disk().refuseSlowFsync()) {
            return Map.of();
        }
        ClusterSpec.Disk policy = spec.get().disk();
        Map<Role, String> refused = new EnumMap<>(Role.class);
        for (Role role : hostRoles.roles(spec)) {
            Map<String, Path> dirs = DataDirectories.of(paths, java.util.Set.of(role));
            if (dirs.isEmpty() || hostRoles.taken(role, spec)) {
                continue;
            }
            Map.Entry<String, Path> dir = dirs.entrySet().iterator().next();
            Optional<FsyncResults.Report> report = fsync.probe(dir.getKey(), dir.getValue(), policy);
            if (report.isEmpty()) {
                refused.put(role, "the fsync probe in " + dir.getValue() + " failed (see the agent's log),"
                        + " and disk.on_slow_fsync is refuse");
            } else if (policy.slow(report.get().result().p99Millis())) {
                refused.put(role, String.format(Locale.ROOT, "fsync p99 %.2f ms in %s is above"
                        + " disk.fsync_p99_limit_ms %s (disk.on_slow_fsync: refuse)", report.get().result().p99Millis(),
                        report.get().directory(), policy.limitText()));
            }
        }
        return refused;
    }
}
