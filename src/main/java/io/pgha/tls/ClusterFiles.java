package io.pgha.tls;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A new cluster's CA and admin identity, as files in one directory: {@code ca.crt} (every host, 0644), {@code ca.key}
 * (every host running an agent, 0600: each agent issues its own certificate from it), {@code admin.crt} and
 * {@code admin.key} (only where an operator runs pghactl, 0600). Never overwrites: a second CA would lock every host
 * of the first out.
 */
public final class ClusterFiles {
    public static final String ADMIN = io.pgha.model.ClusterSpecParser.ADMIN_NAME;
    /** An operator's identity. Nothing renews it yet: two years, as README says. */
    public static final Duration ADMIN_LIFETIME = Duration.ofDays(730);

    private ClusterFiles() {
    }

    public static ClusterCa create(Path dir, String cluster, SecureRandom random, Instant now) throws IOException {
        Files.createDirectories(dir);
        for (String name : List.of("ca.crt", "ca.key", "admin.crt", "admin.key")) {
            if (Files.exists(dir.resolve(name))) {
                throw new FileAlreadyExistsException(dir.resolve(name).toString(), null,
                        "a cluster CA is already there; a new one would lock out every host that trusts it");
            }
        }
        ClusterCa ca = ClusterCa.create(cluster, random, now);
        IssuedCertificate admin = ca.issue(new CertificateRequest(ADMIN, List.of(), List.of(), ADMIN_LIFETIME), now);
        write(dir.resolve("ca.key"), ca.issued().keyPem(), "rw-------");
        write(dir.resolve("ca.crt"), ca.issued().certificatePem(), "rw-r--r--");
        write(dir.resolve("admin.key"), admin.keyPem(), "rw-------");
        write(dir.resolve("admin.crt"), admin.certificatePem(), "rw-------");
        return ca;
    }

    /** Created with its mode, so a key is never readable by others, not even for a moment. */
    public static void write(Path file, String text, String mode) throws IOException {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(mode)));
        Files.writeString(file, text, StandardOpenOption.TRUNCATE_EXISTING);
    }
}
