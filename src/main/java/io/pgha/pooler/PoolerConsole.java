package io.pgha.pooler;

import io.pgha.supervise.Command;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * PgBouncer's admin console on this host, over TLS on loopback (its hba lets the admin user in from there only), as
 * the admin user, whose password {@link #adminPassword} derives from this host's key: nothing to store, and nobody
 * without root on the host can compute it. Through psql (the password in its environment, never in argv): pgjdbc
 * since 42.7.5 sends {@code SET extra_float_digits} after logging in, which the console of PgBouncer before 1.26
 * refuses.
 *
 * @param port   the pooler's port
 * @param caFile the cluster CA, which signed the certificate PgBouncer shows
 */
public record PoolerConsole(int port, String adminPassword, Path caFile) {
    /** The admin console's user: known to PgBouncer alone (its auth_file), never a PostgreSQL role. */
    public static final String ADMIN_USER = "pgha_pooler_admin";
    private static final String PSQL = "/usr/bin/psql";

    /** The admin password for a host whose private key is {@code hostKeyPem}. */
    public static String adminPassword(String hostKeyPem) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update("pgha-agent pooler admin console\n".getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(d.digest(hostKeyPem.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** What SHOW LISTS counts: clients connected, server connections open. */
    public record Lists(long clients, long servers) {
    }

    public Lists lists() throws IOException {
        return lists(run("SHOW LISTS", Duration.ofSeconds(3)));
    }

    /** SHOW LISTS as psql -A -t prints it: {@code list|items} rows. */
    static Lists lists(String rows) throws IOException {
        Map<String, Long> items = new LinkedHashMap<>();
        for (String line : rows.lines().toList()) {
            String[] cells = line.split("\\|");
            if (cells.length == 2 && cells[1].strip().matches("\\d+")) {
                items.put(cells[0].strip(), Long.parseLong(cells[1].strip()));
            }
        }
        if (!items.containsKey("used_clients")) {
            throw new IOException("SHOW LISTS: expected used_clients among the lists, found " + items.keySet());
        }
        // Our own console connection is one of the used clients.
        return new Lists(Math.max(0, items.get("used_clients") - 1) + items.getOrDefault("login_clients", 0L),
                items.getOrDefault("used_servers", 0L) + items.getOrDefault("free_servers", 0L));
    }

    /**
     * PAUSE: waits for the transactions in flight (the sessions, in session mode) to end and closes every server
     * connection; new ones wait until RESUME. Fails if that takes longer than {@code within}; the pause may then still
     * be in force, so the caller resumes.
     */
    public void pause(Duration within) throws IOException {
        run("PAUSE", within);
    }

    /** RESUME; a pooler that is not paused (restarted since) is left as it is. */
    public void resume() throws IOException {
        try {
            run("RESUME", Duration.ofSeconds(3));
        } catch (IOException e) {
            if (e.getMessage() == null || !e.getMessage().contains("not paused")) {
                throw e;
            }
        }
    }

    private String run(String command, Duration within) throws IOException {
        String conninfo = "host=127.0.0.1 port=" + port + " dbname=pgbouncer user=" + ADMIN_USER
                + " sslmode=verify-ca sslrootcert=" + caFile + " connect_timeout=3 application_name=pgha-agent";
        // -X: no psqlrc; -A -t: bare rows, cells split by '|'; ON_ERROR_STOP: a refused command exits non-zero.
        Command.Outcome out = Command.run(List.of(PSQL, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", conninfo,
                "-c", command), Map.of("PGPASSWORD", adminPassword), within.plusSeconds(1));
        if (!out.ok()) {
            throw new IOException(command + " on PgBouncer's console (127.0.0.1:" + port + ") failed (exit "
                    + out.exitCode() + "): " + out.lastLine());
        }
        return out.output();
    }

    @Override
    public String toString() {
        return "PoolerConsole[127.0.0.1:" + port + "]";
    }
}
