package io.pgha.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterCaTest {
    private static final Instant NOW = Instant.parse("2026-11-27T06:00:00Z");
    private final SecureRandom random = new SecureRandom();

    @Test
    void aHostCertificateNamesTheHostAndIsSignedByTheCa() throws Exception {
        ClusterCa ca = ClusterCa.create("demo", random, NOW);
        IssuedCertificate pg1 = ca.issue(new CertificateRequest("agent-pg1", List.of("pg1", "demo.pgha"),
                List.of("10.0.1.1"), Duration.ofDays(90)), NOW);
        X509Certificate cert = pg1.certificate();
        assertTrue(ca.signed(cert));
        assertEquals(List.of("pg1", "demo.pgha", "10.0.1.1"), IssuedCertificate.subjectAlternativeNames(cert));
        assertTrue(cert.getSubjectX500Principal().getName().contains("CN=agent-pg1"), cert.getSubjectX500Principal().getName());
        assertEquals(List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"), cert.getExtendedKeyUsage(),
                "server and client: the same certificate answers and asks");
        assertEquals(-1, cert.getBasicConstraints(), "no CA");
        assertEquals(NOW.plus(Duration.ofDays(90)), pg1.notAfter());
        ClusterCa other = ClusterCa.create("demo", random, NOW);
        assertFalse(other.signed(cert), "another cluster's CA did not sign it");
    }

    @Test
    void theCaAndItsCertificatesCarryTheExtensionsPeersCheck() throws Exception {
        ClusterCa ca = ClusterCa.create("demo", random, NOW);
        X509Certificate root = ca.certificate();
        assertEquals("CN=pgha cluster demo CA,O=pgha", root.getSubjectX500Principal().getName());
        assertEquals(root.getSubjectX500Principal(), root.getIssuerX500Principal(), "self-signed");
        root.verify(root.getPublicKey());
        assertEquals(3, root.getVersion());
        assertEquals(0, root.getBasicConstraints(), "a CA that signs only end certificates");
        assertEquals(Set.of("2.5.29.19", "2.5.29.15"), root.getCriticalExtensionOIDs());
        assertArrayEquals(new boolean[] {false, false, false, false, false, true, true, false, false},
                root.getKeyUsage(), "keyCertSign and cRLSign");
        X509Certificate leaf = ca.issue(new CertificateRequest("agent-pg1", List.of("pg1"),
                List.of("10.0.1.1", "fd00::7"), Duration.ofDays(90)), NOW).certificate();
        assertEquals(root.getSubjectX500Principal(), leaf.getIssuerX500Principal());
        assertEquals(List.of("pg1", "10.0.1.1", "fd00:0:0:0:0:0:0:7"), IssuedCertificate.subjectAlternativeNames(leaf));
        assertEquals(Set.of("2.5.29.19", "2.5.29.15"), leaf.getCriticalExtensionOIDs());
        assertTrue(leaf.getKeyUsage()[0], "digitalSignature");
        assertEquals(1, java.util.stream.IntStream.range(0, leaf.getKeyUsage().length)
                .filter(i -> leaf.getKeyUsage()[i]).count(), "digitalSignature alone");
        // The authority key identifier is the CA's subject key identifier: how a peer picks the issuer.
        byte[] ski = root.getExtensionValue("2.5.29.14");
        byte[] aki = leaf.getExtensionValue("2.5.29.35");
        byte[] keyId = java.util.Arrays.copyOfRange(ski, 4, ski.length);
        assertArrayEquals(keyId, java.util.Arrays.copyOfRange(aki, aki.length - keyId.length, aki.length));
        assertEquals(20, keyId.length, "a SHA-1");
        assertEquals(NOW.minus(Duration.ofMinutes(5)), leaf.getNotBefore().toInstant());
        X509Certificate late = ca.issue(new CertificateRequest("x", List.of(), List.of(), Duration.ofDays(36500)), NOW)
                .certificate();
        assertEquals(NOW.plus(Duration.ofDays(36500)), late.getNotAfter().toInstant(), "GeneralizedTime after 2049");
        IllegalArgumentException name = assertThrows(IllegalArgumentException.class, () -> ca.issue(
                new CertificateRequest("x", List.of(), List.of("pg1.example"), Duration.ofDays(1)), NOW));
        assertEquals("expected an IP address for a certificate, found 'pg1.example'", name.getMessage());
    }

    @Test
    void aCertificateWithoutCommonNameHasOnlyItsOrganisation() {
        ClusterCa ca = ClusterCa.create("demo", random, NOW);
        X509Certificate cert = ca.issue(new CertificateRequest("", List.of("pg1"), List.of(), Duration.ofDays(1)), NOW)
                .certificate();
        assertEquals("O=pgha", cert.getSubjectX500Principal().getName(), "etcd refuses a CN on its gateway");
    }

    @Test
    void renewalIsDueAfterTwoThirdsOfTheLifetime() {
        ClusterCa ca = ClusterCa.create("demo", random, NOW);
        X509Certificate cert = ca.issue(new CertificateRequest("x", List.of(), List.of(), Duration.ofDays(90)), NOW)
                .certificate();
        // Issued 5 minutes back-dated: 90 days + 5 min of lifetime, two thirds of it just under 60 days.
        assertFalse(IssuedCertificate.dueForRenewal(cert, NOW.plus(Duration.ofDays(59))));
        assertTrue(IssuedCertificate.dueForRenewal(cert, NOW.plus(Duration.ofDays(61))));
        X509Certificate brief = ca.issue(new CertificateRequest("x", List.of(), List.of(), Duration.ofSeconds(150)),
                NOW).certificate();
        // A short lifetime is back-dated a tenth of itself (15 s of 165): renewal 95 s after issue, not at once.
        assertFalse(IssuedCertificate.dueForRenewal(brief, NOW.plusSeconds(90)));
        assertTrue(IssuedCertificate.dueForRenewal(brief, NOW.plusSeconds(96)));
    }

    @Test
    void pemRoundTripsAndLoadsAsTheCa() throws Exception {
        ClusterCa ca = ClusterCa.create("demo", random, NOW);
        ClusterCa loaded = ClusterCa.load(ca.issued().certificatePem(), ca.issued().keyPem(), "test", random);
        IssuedCertificate issued = loaded.issue(new CertificateRequest("x", List.of(), List.of(), Duration.ofDays(1)),
                NOW);
        assertTrue(ca.signed(issued.certificate()), "the loaded key is the CA's key");
        IssuedCertificate leaf = ca.issue(new CertificateRequest("x", List.of(), List.of(), Duration.ofDays(1)), NOW);
        IOException notCa = assertThrows(IOException.class,
                () -> ClusterCa.load(leaf.certificatePem(), leaf.keyPem(), "leaf.crt", random));
        assertTrue(notCa.getMessage().startsWith("leaf.crt: expected a CA certificate"), notCa.getMessage());
        IOException garbage = assertThrows(IOException.class, () -> Pem.readCertificate("hello", "x.crt"));
        assertTrue(garbage.getMessage().startsWith("x.crt: "), garbage.getMessage());
    }

    @Test
    void clusterFilesHaveTheirModesAndAreNeverOverwritten(@TempDir Path dir) throws Exception {
        ClusterFiles.create(dir, "demo", random, Instant.now());
        assertEquals("rw-------", mode(dir.resolve("ca.key")));
        assertEquals("rw-------", mode(dir.resolve("admin.key")));
        assertEquals("rw-------", mode(dir.resolve("admin.crt")),
                "as README's table says: only where an operator runs pghactl, for root");
        assertEquals("rw-r--r--", mode(dir.resolve("ca.crt")));
        String before = Files.readString(dir.resolve("ca.key"));
        assertThrows(FileAlreadyExistsException.class, () -> ClusterFiles.create(dir, "demo", random, Instant.now()));
        assertEquals(before, Files.readString(dir.resolve("ca.key")));
        TlsFiles admin = new TlsFiles(dir.resolve("ca.crt"), dir.resolve("admin.crt"), dir.resolve("admin.key"));
        X509Certificate certificate;
        try (InputStream in = Files.newInputStream(admin.certificate())) {
            certificate = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        certificate.verify(admin.caCertificate().getPublicKey());
        assertEquals("CN=admin,O=pgha", certificate.getSubjectX500Principal().getName(),
                "the admin identity etcd knows");
        String alias = admin.keyManager().chooseClientAlias(new String[] {certificate.getPublicKey().getAlgorithm()},
                null, null);
        assertEquals(certificate, admin.keyManager().getCertificateChain(alias)[0], "the key manager presents it");
    }

    @Test
    void theKeyManagerFollowsARenewalAndNamesABadFile(@TempDir Path dir) throws Exception {
        ClusterFiles.create(dir, "demo", random, Instant.now());
        ClusterCa ca = ClusterCa.load(Files.readString(dir.resolve("ca.crt")), Files.readString(dir.resolve("ca.key")),
                "ca", random);
        TlsFiles files = new TlsFiles(dir.resolve("ca.crt"), dir.resolve("host.crt"), dir.resolve("host.key"));
        IOException missing = assertThrows(IOException.class, files::keyManager);
        assertTrue(missing.getMessage().startsWith(dir.resolve("host.crt") + ": missing"), missing.getMessage());
        writePair(files, ca.issue(new CertificateRequest("one", List.of(), List.of(), Duration.ofDays(1)),
                Instant.now()), Instant.now().minusSeconds(60));
        ReloadingKeyManager keys = files.keyManager();
        assertTrue(keys.certificate().getSubjectX500Principal().getName().contains("CN=one"));
        writePair(files, ca.issue(new CertificateRequest("two", List.of(), List.of(), Duration.ofDays(1)),
                Instant.now()), Instant.now());
        keys.chooseClientAlias(new String[] {"EC"}, null, null);
        assertTrue(keys.certificate().getSubjectX500Principal().getName().contains("CN=two"), "re-read after renewal");

        ClusterCa stranger = ClusterCa.create("demo", random, Instant.now());
        writePair(files, stranger.issue(new CertificateRequest("x", List.of(), List.of(), Duration.ofDays(1)),
                Instant.now()), Instant.now().plusSeconds(60));
        IOException foreign = assertThrows(IOException.class, files::keyManager);
        assertTrue(foreign.getMessage().contains("not signed by the cluster CA in " + dir.resolve("ca.crt")),
                foreign.getMessage());
    }

    private static void writePair(TlsFiles files, IssuedCertificate issued, Instant mtime) throws IOException {
        Files.writeString(files.key(), issued.keyPem());
        Files.writeString(files.certificate(), issued.certificatePem());
        Files.setLastModifiedTime(files.key(), java.nio.file.attribute.FileTime.from(mtime));
        Files.setLastModifiedTime(files.certificate(), java.nio.file.attribute.FileTime.from(mtime));
    }

    private static String mode(Path file) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
    }
}
