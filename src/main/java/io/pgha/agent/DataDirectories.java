package io.pgha.agent;

import io.pgha.model.HostPaths;
import io.pgha.model.Role;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** The directory whose device matters for each role: etcd's data, Postgres' data (with its WAL); none for lb. */
final class DataDirectories {
    private DataDirectories() {
    }

    static Map<String, Path> of(HostPaths paths, Set<Role> roles) {
        Map<String, Path> dirs = new LinkedHashMap<>();
        for (Role role : Role.ordered(roles)) {
            switch (role) {
                case ETCD -> dirs.put("etcd data", paths.dataDir("etcd"));
                case DATA -> dirs.put("postgres data", paths.dataDir("postgresql"));
                case BACKUP -> dirs.put("backup repository", paths.dataDir("pgbackrest"));
                case LB -> {
                }
            }
        }
        return dirs;
    }
}
