package io.pgha.roles;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgha.model.Role;
import io.pgha.resources.Platform;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What each supported platform installs for each role, and from where (roles/*.yml with the platform map). */
class PackageMapTest {
    private static final Path ROLES = Path.of("roles");

    /** role → packages, bin directory, user, and the repositories beyond the OS's own. */
    private static Map<String, String> map(String platformId, int postgres) throws Exception {
        Platform platform = Platform.known().get(platformId);
        Map<String, String> out = new LinkedHashMap<>();
        for (Role role : Role.values()) {
            RoleDefinition def = RoleDefinition.load(ROLES, role);
            boolean runsPostgres = role == Role.DATA || role == Role.BACKUP;
            String version = role == Role.ETCD ? "" : Integer.toString(postgres);
            List<String> packages = def.packagesFor(platform.family(), version);
            String repos = String.join(",", platform.needed(packages).stream().map(Platform.Repository::id).toList());
            out.put(role.id(), String.join(" ", packages) + " | " + def.user() + " | " + def.binary()
                    + (runsPostgres ? " | " + def.binDirFor(platform.family(), version) : "")
                    + " | repos: " + (repos.isEmpty() ? "-" : repos));
        }
        return out;
    }

    @Test
    void debian12() throws Exception {
        assertEquals(Map.of(
                "etcd", "etcd-server etcd-client | etcd | /usr/bin/etcd | repos: -",
                "data", "postgresql-15 patroni python3-idna python3-etcd | postgres | /usr/bin/patroni"
                        + " | /usr/lib/postgresql/15/bin | repos: -",
                "lb", "haproxy keepalived pgbouncer postgresql-client-15 | haproxy | /usr/sbin/haproxy | repos: -",
                "backup", "pgbackrest postgresql-15 | postgres | /usr/bin/pgbackrest | /usr/lib/postgresql/15/bin"
                        + " | repos: -"), map("debian12", 15));
        assertEquals("postgresql-17 patroni python3-idna python3-etcd | postgres | /usr/bin/patroni"
                + " | /usr/lib/postgresql/17/bin | repos: apt.postgresql.org", map("debian12", 17).get("data"));
    }

    @Test
    void debian13() throws Exception {
        assertEquals(Map.of(
                "etcd", "etcd-server etcd-client | etcd | /usr/bin/etcd | repos: -",
                "data", "postgresql-17 patroni python3-idna python3-etcd | postgres | /usr/bin/patroni"
                        + " | /usr/lib/postgresql/17/bin | repos: -",
                "lb", "haproxy keepalived pgbouncer postgresql-client-17 | haproxy | /usr/sbin/haproxy | repos: -",
                "backup", "pgbackrest postgresql-17 | postgres | /usr/bin/pgbackrest | /usr/lib/postgresql/17/bin"
                        + " | repos: -"), map("debian13", 17));
    }

    @Test
    void el9() throws Exception {
        assertEquals(Map.of(
                "etcd", "etcd | etcd | /usr/bin/etcd | repos: pgdg-rhel9-extras",
                "data", "postgresql16-server patroni patroni-etcd | postgres | /usr/bin/patroni | /usr/pgsql-16/bin"
                        + " | repos: pgdg16,pgdg-common,epel",
                "lb", "haproxy keepalived pgbouncer postgresql | haproxy | /usr/sbin/haproxy | repos: -",
                "backup", "pgbackrest postgresql16-server | postgres | /usr/bin/pgbackrest | /usr/pgsql-16/bin"
                        + " | repos: pgdg-common,pgdg16"), map("el9", 16));
    }

    @Test
    void el8() throws Exception {
        assertEquals(Map.of(
                "etcd", "etcd | etcd | /usr/bin/etcd | repos: pgdg-rhel8-extras",
                "data", "postgresql15-server patroni patroni-etcd | postgres | /usr/bin/patroni | /usr/pgsql-15/bin"
                        + " | repos: pgdg15,pgdg-common,epel",
                "lb", "haproxy keepalived pgbouncer postgresql | haproxy | /usr/sbin/haproxy | repos: -",
                "backup", "pgbackrest postgresql15-server | postgres | /usr/bin/pgbackrest | /usr/pgsql-15/bin"
                        + " | repos: pgdg-common,pgdg15"), map("el8", 15));
    }
}
