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
 * (the etcd hosts, 0600: their agents sign every host's certificates with it), {@code admin.crt} and
 * {@code admin.key} (only where an operator runs pghactl, 0600). Never overwrites the CA: a second one would lock
 * every host of the first out; the admin identity is renewed in place.
 */
public final class ClusterFiles {
    public static final String ADMIN = io.pgha.model.ClusterSpecParser.ADMIN_NAME;
    /** An operator's identity: two years, renewed by pghactl admin renew. */
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

    /**
     * A new admin certificate and key from the CA in {@code dir}, replacing admin.crt and admin.key there (each
     * written aside and renamed over the old: a reader sees one or the other, whole). Copies of the old one elsewhere
     * stay valid until they expire: etcd and the agents know admin by its common name.
     */
    public static IssuedCertificate renewAdmin(Path dir, SecureRandom random, Instant now) throws IOException {
        ClusterCa ca = loadCa(dir, random);
        IssuedCertificate admin = ca.issue(new CertificateRequest(ADMIN, List.of(), List.of(), ADMIN_LIFETIME), now);
        replace(dir.resolve("admin.key"), admin.keyPem());
        replace(dir.resolve("admin.crt"), admin.certificatePem());
        return admin;
    }

    /** The CA that {@link #create} wrote into {@code dir}. */
    public static ClusterCa loadCa(Path dir, SecureRandom random) throws IOException {
        return ClusterCa.load(TlsFiles.read(dir.resolve("ca.crt"), "the cluster CA certificate"),
                TlsFiles.read(dir.resolve("ca.key"), "the cluster CA key (pghactl init's directory)"),
                dir.resolve("ca.key").toString(), random);
    }

    private static void replace(Path file, String text) throws IOException {
        Path aside = file.resolveSibling(file.getFileName() + ".new");
        Files.deleteIfExists(aside);
        write(aside, text, "rw-------");
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(aside,
                StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        Files.move(aside, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** Created with its mode, so a key is never readable by others, not even for a moment. */
    public static void write(Path file, String text, String mode) throws IOException {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(mode)));
        Files.writeString(file, text, StandardOpenOption.TRUNCATE_EXISTING);
    }
}
