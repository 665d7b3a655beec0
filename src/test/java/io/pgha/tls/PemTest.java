package io.pgha.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** PEM as the JDK reads and writes it here, and what it refuses with which words. */
class PemTest {
    private static final Instant NOW = Instant.parse("2026-12-06T00:00:00Z");
    private final SecureRandom random = new SecureRandom();

    @Test
    void writesSixtyFourColumnsAndReadsItBack() throws Exception {
        IssuedCertificate issued = ClusterCa.create("demo", random, NOW).issue(
                new CertificateRequest("agent-pg1", List.of("pg1"), List.of("10.0.0.1"), Duration.ofDays(90)), NOW);
        String certificate = Pem.certificate(issued.certificate());
        List<String> lines = certificate.lines().toList();
        assertEquals("-----BEGIN CERTIFICATE-----", lines.get(0));
        assertEquals(64, lines.get(1).length(), "64 columns, as openssl and BouncyCastle write it");
        assertTrue(certificate.endsWith("\n"), "a file that ends its last line");
        assertEquals("-----END CERTIFICATE-----", certificate.lines().reduce((a, b) -> b).orElseThrow());
        assertEquals(issued.certificate(), Pem.readCertificate(certificate, "host.crt"));
        String key = Pem.privateKey(issued.key());
        assertEquals("-----BEGIN PRIVATE KEY-----", key.lines().findFirst().orElseThrow());
        assertArrayEquals(issued.key().getEncoded(), Pem.readPrivateKey(key, "host.key").getEncoded());
    }

    @Test
    void namesWhatItCannotRead() {
        IOException none = assertThrows(IOException.class, () -> Pem.readCertificate("hello", "x.crt"));
        assertEquals("x.crt: no PEM block in the file", none.getMessage());
        String sec1 = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n";
        IOException key = assertThrows(IOException.class, () -> Pem.readCertificate(sec1, "x.crt"));
        assertEquals("x.crt: expected a PEM certificate (BEGIN CERTIFICATE), found BEGIN EC PRIVATE KEY",
                key.getMessage());
        IOException older = assertThrows(IOException.class, () -> Pem.readPrivateKey(sec1, "old.key"));
        assertEquals("old.key: expected a PKCS#8 private key (BEGIN PRIVATE KEY), found BEGIN EC PRIVATE KEY"
                + " (openssl pkcs8 -topk8 -nocrypt converts one)", older.getMessage());
        IOException cut = assertThrows(IOException.class,
                () -> Pem.readCertificate("-----BEGIN CERTIFICATE-----\nAAAA\n", "x.crt"));
        assertEquals("x.crt: not readable as PEM: -----END CERTIFICATE----- missing", cut.getMessage());
    }
}
