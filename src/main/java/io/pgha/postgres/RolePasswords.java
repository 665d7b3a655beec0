package io.pgha.postgres;

import io.pgha.model.ClusterSecrets;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ArrayList;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's agent keeps the cluster's PostgreSQL roles' passwords equal to the secrets: it creates the monitoring
 * role, and after a rotation sets the new password. It compares SCRAM verifiers (pg_authid), so a password is never
 * tried by logging in, and sets one as a verifier computed here: no password in clear reaches a server log.
 */
public final class RolePasswords {
    private static final Logger log = LoggerFactory.getLogger(RolePasswords.class);
    /** Role to the secret holding its password. */
    static final Map<String, String> ROLES = Map.of(
            PatroniConfig.SUPERUSER, "superuser",
            PatroniConfig.REPLICATION_USER, "replication",
            PatroniConfig.REWIND_USER, "rewind",
            PatroniConfig.MONITOR_USER, "monitor");
    private static final int ITERATIONS = 4096;

    private final SecureRandom random;
    private long doneFor = -1;

    public RolePasswords(SecureRandom random) {
        this.random = random;
    }

    /** The secrets revision whose passwords the roles have (-1: none checked yet). */
    public long doneFor() {
        return doneFor;
    }

    /** Logs in as the superuser with the password Postgres has: the current one, or the one a rotation replaced. */
    public interface Connector {
        Connection connect(String superuserPassword) throws SQLException;
    }

    /**
     * On the leader, once per secrets revision: the roles' passwords made equal to {@code secrets}. Returns what it
     * changed (role names).
     */
    public java.util.List<String> step(ClusterSecrets secrets, long secretsRevision, Connector connector)
            throws SQLException {
        if (secretsRevision == doneFor) {
            return java.util.List.of();
        }
        Connection c = login(secrets, connector);
        java.util.List<String> changed = new java.util.ArrayList<>();
        try (Connection conn = c) {
            Map<String, String> verifiers = new LinkedHashMap<>();
            try (PreparedStatement s = conn.prepareStatement(
                    "select rolname, coalesce(rolpassword, '') from pg_authid where rolname = any(?)")) {
                s.setArray(1, conn.createArrayOf("text", ROLES.keySet().toArray()));
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        verifiers.put(rs.getString(1), rs.getString(2));
                    }
                }
            }
            for (Map.Entry<String, String> role : ROLES.entrySet()) {
                // A rotation under way: the roles take the staged value first, everyone else follows once it is in.
                String password = secrets.staged(role.getValue()).or(() -> secrets.get(role.getValue()))
                        .orElseThrow(() -> new SQLException("no secret " + role.getValue()));
                String verifier = verifiers.get(role.getKey());
                if (verifier != null && matches(verifier, password)) {
                    continue;
                }
                // The role names are constants and a verifier holds only base64, digits, ':' and '$'.
                String sql = verifier == null
                        ? "create role " + role.getKey() + " login in role pg_monitor password '"
                                + scramVerifier(password, random) + "'"
                        : "alter role " + role.getKey() + " password '" + scramVerifier(password, random) + "'";
                try (Statement s = conn.createStatement()) {
                    s.execute(sql);
                }
                changed.add(role.getKey());
            }
        }
        doneFor = secretsRevision;
        if (!changed.isEmpty()) {
            log.info("PostgreSQL role passwords set from secrets rev {}: {}", secretsRevision, changed);
        }
        return changed;
    }

    /** The superuser's password is the current one, the one being staged, or the one a rotation replaced. */
    private static Connection login(ClusterSecrets secrets, Connector connector) throws SQLException {
        List<String> candidates = new ArrayList<>();
        secrets.get("superuser").ifPresent(candidates::add);
        secrets.staged("superuser").ifPresent(candidates::add);
        secrets.previous("superuser").ifPresent(candidates::add);
        SQLException last = new SQLException("no superuser secret");
        for (String password : candidates) {
            try {
                return connector.connect(password);
            } catch (SQLException e) {
                last = e;
                if (!"28P01".equals(e.getSQLState())) {
                    throw e;
                }
            }
        }
        throw last;
    }

    /** True when {@code verifier} (pg_authid's SCRAM-SHA-256 form) was made from {@code password}. */
    static boolean matches(String verifier, String password) {
        // SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
        if (!verifier.startsWith("SCRAM-SHA-256$")) {
            return false;
        }
        String[] parts = verifier.substring("SCRAM-SHA-256$".length()).split("[$:]");
        if (parts.length != 4) {
            return false;
        }
        int iterations = Integer.parseInt(parts[0]);
        byte[] salt = Base64.getDecoder().decode(parts[1]);
        byte[] storedKey = storedKey(password, salt, iterations);
        return MessageDigest.isEqual(storedKey, Base64.getDecoder().decode(parts[2]));
    }

    /** A verifier as PostgreSQL makes it (RFC 5802/7677); our passwords are ASCII, which SASLprep leaves alone. */
    public static String scramVerifier(String password, SecureRandom random) {
        byte[] salt = new byte[16];
        random.nextBytes(salt);
        byte[] salted = saltedPassword(password, salt, ITERATIONS);
        byte[] storedKey = sha256(hmac(salted, "Client Key"));
        byte[] serverKey = hmac(salted, "Server Key");
        Base64.Encoder b64 = Base64.getEncoder();
        return "SCRAM-SHA-256$" + ITERATIONS + ":" + b64.encodeToString(salt) + "$" + b64.encodeToString(storedKey)
                + ":" + b64.encodeToString(serverKey);
    }

    private static byte[] storedKey(String password, byte[] salt, int iterations) {
        return sha256(hmac(saltedPassword(password, salt, iterations), "Client Key"));
    }

    private static byte[] saltedPassword(String password, byte[] salt, int iterations) {
        try {
            SecretKeyFactory f = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256");
            return f.generateSecret(new PBEKeySpec(password.toCharArray(), salt, iterations, 256)).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is part of every JDK", e);
        }
    }

    private static byte[] hmac(byte[] key, String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(text.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
