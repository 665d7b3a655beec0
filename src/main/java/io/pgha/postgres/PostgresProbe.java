package io.pgha.postgres;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/** Asks a Postgres server directly (pgjdbc), rather than trusting anyone's summary of it. */
public final class PostgresProbe {
    private final String user;
    private final String password;
    private final int timeoutSeconds;
    private final java.nio.file.Path caFile;

    /** Over TLS, the server's certificate checked against the cluster CA in {@code caFile}. */
    public PostgresProbe(String user, String password, int timeoutSeconds, java.nio.file.Path caFile) {
        this.user = user;
        this.password = password;
        this.timeoutSeconds = timeoutSeconds;
        this.caFile = caFile;
    }

    /** One row of pg_stat_replication. */
    public record Sender(String applicationName, String clientAddr, String state, String syncState, long lagBytes) {
    }

    /** @param walBytes the size of pg_wal, which grows without bound when a replication slot is abandoned */
    public record Server(boolean inRecovery, int connections, int maxConnections, long walBytes) {
    }

    public Server server(String address, int port) throws SQLException {
        try (Connection c = connect(address, port); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select pg_is_in_recovery(), (select count(*) from pg_stat_activity),"
                     + " current_setting('max_connections')::int, (select coalesce(sum(size), 0) from pg_ls_waldir())")) {
            rs.next();
            return new Server(rs.getBoolean(1), rs.getInt(2), rs.getInt(3), rs.getLong(4));
        }
    }

    /** The leader's view of its replicas: who is connected and streaming, and how far behind in bytes. */
    public List<Sender> senders(String address, int port) throws SQLException {
        List<Sender> out = new ArrayList<>();
        try (Connection c = connect(address, port);
             PreparedStatement s = c.prepareStatement("select application_name, coalesce(host(client_addr), ''), state,"
                     + " sync_state, coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0)::bigint"
                     + " from pg_stat_replication");
             ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                out.add(new Sender(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(5)));
            }
        }
        return out;
    }

    /** A value of {@code SHOW name}; the name must be a validated parameter name. */
    public String show(String address, int port, String parameter) throws SQLException {
        try (Connection c = connect(address, port);
             PreparedStatement s = c.prepareStatement("select current_setting(?)")) {
            s.setString(1, parameter);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    /** pg_settings rows for these names; a name Postgres does not know is absent from the answer. */
    public java.util.Map<String, PgSetting> settings(String address, int port, java.util.Collection<String> names)
            throws SQLException {
        java.util.Map<String, PgSetting> out = new java.util.LinkedHashMap<>();
        try (Connection c = connect(address, port);
             PreparedStatement s = c.prepareStatement("select name, setting, unit, vartype, current_setting(name),"
                     + " context from pg_settings where name = any(?)")) {
            s.setArray(1, c.createArrayOf("text", names.toArray()));
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), new PgSetting(rs.getString(1), rs.getString(2), rs.getString(3),
                            rs.getString(4), rs.getString(5), rs.getString(6)));
                }
            }
        }
        return out;
    }

    public Connection connect(String address, int port) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        props.setProperty("connectTimeout", Integer.toString(timeoutSeconds));
        props.setProperty("socketTimeout", Integer.toString(timeoutSeconds * 2));
        props.setProperty("loginTimeout", Integer.toString(timeoutSeconds));
        props.setProperty("ApplicationName", "pgha-agent");
        props.setProperty("sslmode", "verify-ca");
        props.setProperty("sslrootcert", caFile.toString());
        return DriverManager.getConnection("jdbc:postgresql://" + address + ":" + port + "/postgres", props);
    }
}
