package io.pgha.postgres;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Asks a Postgres server directly (pgjdbc), rather than trusting anyone's summary of it. Each question opens and
 * closes a connection, except for a probe made with {@link #keeping}, which keeps one per server between questions:
 * a prober asking every few seconds would otherwise pay a TLS handshake, a SCRAM exchange and a backend start each
 * time, on both sides.
 */
public final class PostgresProbe implements AutoCloseable {
    private final String user;
    private final String password;
    private final int timeoutSeconds;
    private final java.nio.file.Path caFile;
    /** Open connections by server, for a keeping probe; null for one that closes each. Confined to one caller. */
    private final Map<String, Connection> kept;

    /** Over TLS, the server's certificate checked against the cluster CA in {@code caFile}. */
    public PostgresProbe(String user, String password, int timeoutSeconds, java.nio.file.Path caFile) {
        this(user, password, timeoutSeconds, caFile, null);
    }

    private PostgresProbe(String user, String password, int timeoutSeconds, java.nio.file.Path caFile,
                          Map<String, Connection> kept) {
        this.user = user;
        this.password = password;
        this.timeoutSeconds = timeoutSeconds;
        this.caFile = caFile;
        this.kept = kept;
    }

    /** A probe that keeps a connection to each server it asked until {@link #close}; for one thread. */
    public static PostgresProbe keeping(String user, String password, int timeoutSeconds, java.nio.file.Path caFile) {
        return new PostgresProbe(user, password, timeoutSeconds, caFile, new HashMap<>());
    }

    /** One question on one connection. */
    @FunctionalInterface
    private interface Question<T> {
        T ask(Connection c) throws SQLException;
    }

    private <T> T ask(String address, int port, Question<T> question) throws SQLException {
        if (kept == null) {
            try (Connection c = connect(address, port)) {
                return question.ask(c);
            }
        }
        String server = address + ":" + port;
        Connection open = kept.remove(server);
        if (open != null) {
            try {
                return askKeeping(server, open, question);
            } catch (SQLException e) {
                // A server restarted since, or a connection cut: asked again on a new one, so that a stale
                // connection never reads as a server that is down.
            }
        }
        return askKeeping(server, connect(address, port), question);
    }

    /** The answer on {@code c}, which is kept for the next question; closed instead when the question failed. */
    private <T> T askKeeping(String server, Connection c, Question<T> question) throws SQLException {
        try {
            T answer = question.ask(c);
            kept.put(server, c);
            return answer;
        } catch (SQLException e) {
            closeQuietly(c);
            throw e;
        }
    }

    @Override
    public void close() {
        if (kept != null) {
            kept.values().forEach(PostgresProbe::closeQuietly);
            kept.clear();
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException e) {
            // going away anyway
        }
    }

    /** One row of pg_stat_replication. */
    public record Sender(String applicationName, String clientAddr, String state, String syncState, long lagBytes) {
    }

    /**
     * @param walBytes the size of pg_wal, which grows without bound when a replication slot is abandoned
     * @param major    the server's major version (server_version_num / 10000)
     */
    public record Server(boolean inRecovery, int connections, int maxConnections, long walBytes, int major) {
    }

    public Server server(String address, int port) throws SQLException {
        return ask(address, port, c -> {
            try (Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("select pg_is_in_recovery(), (select count(*) from pg_stat_activity),"
                         + " current_setting('max_connections')::int,"
                         + " (select coalesce(sum(size), 0) from pg_ls_waldir()),"
                         + " current_setting('server_version_num')::int / 10000")) {
                rs.next();
                return new Server(rs.getBoolean(1), rs.getInt(2), rs.getInt(3), rs.getLong(4), rs.getInt(5));
            }
        });
    }

    /**
     * WAL archiving as pg_stat_archiver tells it, and the segments waiting with the oldest one's time (pg_monitor may
     * list archive_status), judged by the server's clock.
     */
    public io.pgha.model.Health.Archive archiver(String address, int port) throws SQLException {
        return ask(address, port, c -> {
            try (Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("select coalesce(last_archived_wal, ''),"
                         + " (extract(epoch from last_archived_time) * 1000)::bigint, coalesce(last_failed_wal, ''),"
                         + " (extract(epoch from last_failed_time) * 1000)::bigint, r.waiting,"
                         + " (extract(epoch from r.oldest) * 1000)::bigint,"
                         + " (extract(epoch from clock_timestamp()) * 1000)::bigint"
                         + " from pg_stat_archiver, (select count(*) as waiting, min(modification) as oldest"
                         + " from pg_ls_archive_statusdir() where name like '%.ready') r")) {
                rs.next();
                return io.pgha.model.Health.Archive.of(rs.getString(1), nullable(rs, 2),
                        rs.getString(3).isEmpty() ? null : rs.getString(3), nullable(rs, 4), rs.getLong(5),
                        nullable(rs, 6), rs.getLong(7));
            }
        });
    }

    private static Long nullable(ResultSet rs, int column) throws SQLException {
        long value = rs.getLong(column);
        return rs.wasNull() ? null : value;
    }

    /**
     * On the primary: ends the current WAL segment, so that everything committed so far is archived once it is;
     * returns the segment that holds the last byte before the switch.
     */
    public String switchWal(String address, int port) throws SQLException {
        return ask(address, port, c -> {
            try (Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("select pg_walfile_name(pg_switch_wal() - 1)")) {
                rs.next();
                return rs.getString(1);
            }
        });
    }

    /** The leader's view of its replicas: who is connected and streaming, and how far behind in bytes. */
    public List<Sender> senders(String address, int port) throws SQLException {
        return ask(address, port, c -> {
            List<Sender> out = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("select application_name, coalesce(host(client_addr), ''),"
                    + " state, sync_state, coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0)::bigint"
                    + " from pg_stat_replication");
                 ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    out.add(new Sender(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                            rs.getLong(5)));
                }
            }
            return out;
        });
    }

    /** A value of {@code SHOW name}; the name must be a validated parameter name. */
    public String show(String address, int port, String parameter) throws SQLException {
        return ask(address, port, c -> {
            try (PreparedStatement s = c.prepareStatement("select current_setting(?)")) {
                s.setString(1, parameter);
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    return rs.getString(1);
                }
            }
        });
    }

    /** pg_settings rows for these names; a name Postgres does not know is absent from the answer. */
    public Map<String, PgSetting> settings(String address, int port, Collection<String> names) throws SQLException {
        return ask(address, port, c -> {
            Map<String, PgSetting> out = new LinkedHashMap<>();
            try (PreparedStatement s = c.prepareStatement("select name, setting, unit, vartype,"
                    + " current_setting(name), context from pg_settings where name = any(?)")) {
                s.setArray(1, c.createArrayOf("text", names.toArray()));
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        out.put(rs.getString(1), new PgSetting(rs.getString(1), rs.getString(2), rs.getString(3),
                                rs.getString(4), rs.getString(5), rs.getString(6)));
                    }
                }
            }
            return out;
        });
    }

    public Connection connect(String address, int port) throws SQLException {
        return connect(address, port, "postgres");
    }

    /**
     * Planner statistics for every database that takes connections, in vacuumdb --analyze-in-stages's three stages
     * (statistics targets 1, 10, then the configured one), each stage over every database before the next: the
     * planner has rough statistics everywhere within seconds, good ones after.
     */
    public void analyzeInStages(String address, int port) throws SQLException {
        List<String> databases = new ArrayList<>();
        try (Connection c = connect(address, port); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select datname from pg_database where datallowconn order by 1")) {
            while (rs.next()) {
                databases.add(rs.getString(1));
            }
        }
        for (String target : List.of("1", "10", "")) {
            for (String db : databases) {
                try (Connection c = connect(address, port, db); Statement s = c.createStatement()) {
                    s.execute(target.isEmpty() ? "reset default_statistics_target"
                            : "set default_statistics_target = " + target);
                    s.execute("analyze");
                }
            }
        }
    }

    public Connection connect(String address, int port, String database) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        props.setProperty("connectTimeout", Integer.toString(timeoutSeconds));
        props.setProperty("socketTimeout", Integer.toString(timeoutSeconds * 2));
        props.setProperty("loginTimeout", Integer.toString(timeoutSeconds));
        props.setProperty("ApplicationName", "pgha-agent");
        props.setProperty("sslmode", "verify-ca");
        props.setProperty("sslrootcert", caFile.toString());
        // URL-encoded: no character of a database name reaches the URL's syntax (pgjdbc decodes it back).
        return DriverManager.getConnection("jdbc:postgresql://" + address + ":" + port + "/"
                + java.net.URLEncoder.encode(database, java.nio.charset.StandardCharsets.UTF_8), props);
    }
}
