package io.pgha.lab;

import io.pgha.postgres.RolePasswords;
import io.pgha.resources.FileResource;
import io.pgha.resources.Owner;
import io.pgha.resources.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.Properties;

/**
 * The lab's application role {@value #ROLE}, owner of database {@value #ROLE}: what a client of the pooler logs in
 * as (the pooler lets no superuser in). Its password is made once and kept in the lab's directory, root's only.
 */
public final class LabApp {
    public static final String ROLE = "app";

    private LabApp() {
    }

    /** Where the app role's password is kept. */
    public static Path passwordFile(LabPlan plan) {
        return plan.baseDir().resolve("app.password");
    }

    /**
     * Makes the role and its database through the lb at {@code address:port}, logged in as the superuser; returns
     * the role's password.
     */
    public static String ensure(LabPlan plan, String address, int port, String superuserPassword)
            throws IOException, SQLException {
        Path file = passwordFile(plan);
        String password;
        if (Files.exists(file)) {
            password = Files.readString(file).strip();
        } else {
            byte[] bytes = new byte[18];
            new SecureRandom().nextBytes(bytes);
            password = HexFormat.of().formatHex(bytes);
            if (FileResource.of(file, password + "\n", new Owner("root", "root", 0600)).asSensitive().apply().status()
                    == Status.FAILED) {
                throw new IOException("cannot write " + file);
            }
        }
        Properties props = new Properties();
        props.setProperty("user", "postgres");
        props.setProperty("password", superuserPassword);
        props.setProperty("sslmode", "require");
        props.setProperty("connectTimeout", "5");
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + address + ":" + port + "/postgres",
                props); Statement s = c.createStatement()) {
            boolean exists;
            try (ResultSet rs = s.executeQuery("select count(*) from pg_roles where rolname = '" + ROLE + "'")) {
                rs.next();
                exists = rs.getInt(1) > 0;
            }
            // As a verifier: the password itself never reaches a server log. A verifier holds no quote.
            s.execute((exists ? "alter" : "create") + " role " + ROLE + " login password '"
                    + RolePasswords.scramVerifier(password, new SecureRandom()) + "'");
            try (ResultSet rs = s.executeQuery("select count(*) from pg_database where datname = '" + ROLE + "'")) {
                rs.next();
                if (rs.getInt(1) == 0) {
                    s.execute("create database " + ROLE + " owner " + ROLE);
                }
            }
        }
        return password;
    }
}
