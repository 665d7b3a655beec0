package io.pgha.postgres;

import io.pgha.model.ClusterSpec;
import io.pgha.model.Role;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * On the leader, for the pooler: its auth role, and the function PgBouncer's auth query calls, in every database that
 * takes connections and in template1 (so that a database created later has it too). PgBouncer 1.18 (Debian 12) runs
 * the query in the database the client asked for; later ones could name one database, but every platform gets the
 * same layout. The function runs as its owner (the superuser) and returns one login role's SCRAM verifier, never a
 * superuser's; only the auth role may call it. The auth role has no password: PgBouncer logs in as it with the lb
 * host's pooler certificate (common name {@code pooler-HOST}), which pg_ident maps to it from the lb hosts only.
 */
public final class PoolerAuth {
    public static final String ROLE = "pgha_pooler";
    static final String SCHEMA = "pgha";
    public static final String FUNCTION = SCHEMA + ".pooler_auth";
    /** The pg_ident map that lets an lb host's pooler certificate log in as {@link #ROLE}. */
    static final String IDENT_MAP = "pooler";
    private static final String BODY = " select rolname, rolpassword from pg_authid where rolname = p_user"
            + " and rolcanlogin and not rolsuper and (rolvaliduntil is null or rolvaliduntil > now()) ";

    /** Everything in one database, idempotent. */
    static final List<String> STATEMENTS = List.of(
            "create schema if not exists " + SCHEMA,
            "revoke all on schema " + SCHEMA + " from public",
            "grant usage on schema " + SCHEMA + " to " + ROLE,
            "create or replace function " + FUNCTION + "(p_user text) returns table (usename name, passwd text)"
                    + " language sql security definer set search_path = pg_catalog as $$" + BODY + "$$",
            "revoke all on function " + FUNCTION + "(text) from public",
            "grant execute on function " + FUNCTION + "(text) to " + ROLE);

    private PoolerAuth() {
    }

    /** The common name of an lb host's pooler certificate. */
    public static String commonName(String host) {
        return "pooler-" + host;
    }

    /** pg_hba lines: the auth role by certificate from each lb host, before the spec's own rules. */
    static List<String> hbaLines(ClusterSpec spec) {
        if (spec.pooler().isEmpty()) {
            return List.of();
        }
        return spec.hostsWith(Role.LB).stream().map(h -> "hostssl all " + ROLE + " " + h.address()
                + "/32 cert map=" + IDENT_MAP).toList();
    }

    /** pg_ident lines: each lb host's pooler certificate is the auth role, and nothing else. */
    static List<String> identLines(ClusterSpec spec) {
        if (spec.pooler().isEmpty()) {
            return List.of();
        }
        return spec.hostsWith(Role.LB).stream().map(h -> IDENT_MAP + " " + commonName(h.name()) + " " + ROLE)
                .toList();
    }

    /** Opens a superuser connection to one database. */
    public interface Connector {
        Connection connect(String database) throws SQLException;
    }

    /**
     * Makes the role, and the function present and right in every database that lacks it; returns the databases it
     * changed (the role counts as "postgres").
     */
    public static List<String> ensure(Connector connector) throws SQLException {
        List<String> databases = new ArrayList<>();
        List<String> changed = new ArrayList<>();
        try (Connection c = connector.connect("postgres"); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("select count(*) from pg_roles where rolname = '" + ROLE + "'")) {
                rs.next();
                if (rs.getInt(1) == 0) {
                    s.execute("create role " + ROLE + " login");
                    changed.add("postgres");
                }
            }
            try (ResultSet rs = s.executeQuery(
                    "select datname from pg_database where datallowconn or datname = 'template1' order by datname")) {
                while (rs.next()) {
                    databases.add(rs.getString(1));
                }
            }
        }
        for (String database : databases) {
            try (Connection c = connector.connect(database)) {
                if (!present(c)) {
                    try (Statement s = c.createStatement()) {
                        for (String sql : STATEMENTS) {
                            s.execute(sql);
                        }
                    }
                    if (!changed.contains(database)) {
                        changed.add(database);
                    }
                }
            }
        }
        return changed;
    }

    /** The function is there with this body and the auth role may call it. */
    private static boolean present(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("select p.prosrc = ? and has_function_privilege('" + ROLE
                + "', p.oid, 'execute') from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
                + " where n.nspname = '" + SCHEMA + "' and p.proname = 'pooler_auth'")) {
            s.setString(1, BODY);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }
}
