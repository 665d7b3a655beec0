package io.pgha.agent;

import io.pgha.model.HostPaths;
import io.pgha.model.Role;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The directory whose device matters for each role: etcd's data, Postgres' data (with its WAL); none for lb. */
final class DataDirectories {
    /** The name a role's directory is shown by, and the program whose data directory it is. */
    private record Dir(String name, String program) {
    }

    private DataDirectories() {
    }

    static Map<String, Path> of(HostPaths paths, Set<Role> roles) {
        Map<String, Path> dirs = new LinkedHashMap<>();
        for (Role role : Role.ordered(roles)) {
            dir(role).ifPresent(d -> dirs.put(d.name(), paths.dataDir(d.program())));
        }
        return dirs;
    }

    static Set<String> names(Set<Role> roles) {
        Set<String> names = new LinkedHashSet<>();
        for (Role role : Role.ordered(roles)) {
            dir(role).ifPresent(d -> names.add(d.name()));
        }
        return names;
    }

    private static Optional<Dir> dir(Role role) {
        return switch (role) {
            case ETCD -> Optional.of(new Dir("etcd data", "etcd"));
            case DATA -> Optional.of(new Dir("postgres data", "postgresql"));
            case BACKUP -> Optional.of(new Dir("backup repository", "pgbackrest"));
            case LB -> Optional.empty();
        };
    }
}
