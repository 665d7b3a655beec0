package io.pgha.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.tls.ClusterCa;
import io.pgha.tls.Pem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** pghactl admin renew: a new admin certificate and key from the CA beside agent.yml, 0600, nothing else touched. */
class AdminRenewTest {
    @Test
    void aNewAdminCertificateOfTheSameCaReplacesTheOldOne(@TempDir Path dir) throws Exception {
        Path files = dir.resolve("demo");
        assertEquals(0, CtlRun.of("init", "--cluster", "demo", "--member",
                "etcd1=10.0.0.1", "--dir", files.toString()).code());
        String caBefore = Files.readString(files.resolve("ca.crt"));
        X509Certificate before = Pem.readCertificate(Files.readString(files.resolve("admin.crt")), "before");
        CtlRun renewed = CtlRun.of("--config", files.resolve("agent.yml").toString(), "admin", "renew");
        assertEquals(0, renewed.code(), renewed.err());
        assertTrue(renewed.out().startsWith("renewed "), renewed.out());
        X509Certificate after = Pem.readCertificate(Files.readString(files.resolve("admin.crt")), "after");
        assertNotEquals(before.getSerialNumber(), after.getSerialNumber());
        assertEquals("CN=admin,O=pgha", after.getSubjectX500Principal().getName());
        ClusterCa ca = ClusterCa.load(caBefore, Files.readString(files.resolve("ca.key")), "ca", new SecureRandom());
        assertTrue(ca.signed(after), "the same CA");
        assertEquals(after.getPublicKey().getAlgorithm(), Pem.readPrivateKey(Files.readString(
                files.resolve("admin.key")), "key").getAlgorithm());
        for (String name : new String[] {"admin.crt", "admin.key"}) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                    files.resolve(name))), name);
        }
        assertEquals(caBefore, Files.readString(files.resolve("ca.crt")), "the CA untouched");
        try (var left = Files.list(files)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().endsWith(".new")), "nothing left aside");
        }

        Files.delete(files.resolve("ca.key"));
        CtlRun refused = CtlRun.of("--config", files.resolve("agent.yml").toString(), "admin", "renew");
        assertEquals(CtlMain.BAD_INPUT, refused.code());
        assertTrue(refused.err().contains("there is none at"), refused.err());
    }

    @Test
    void statusWarnsAMonthBeforeTheAdminCertificateExpires(@TempDir Path dir) throws Exception {
        Path files = dir.resolve("demo");
        assertEquals(0, CtlRun.of("init", "--cluster", "demo", "--member",
                "etcd1=10.0.0.1", "--dir", files.toString()).code());
        io.pgha.model.AgentConfig agent = io.pgha.model.AgentConfig.load(files.resolve("agent.yml"));
        java.time.Instant notAfter = Pem.readCertificate(Files.readString(files.resolve("admin.crt")), "admin")
                .getNotAfter().toInstant();
        assertEquals(java.util.Optional.empty(), StatusCommand.adminExpiry(agent,
                notAfter.minus(java.time.Duration.ofDays(31))));
        String warning = StatusCommand.adminExpiry(agent, notAfter.minus(java.time.Duration.ofDays(10)))
                .orElseThrow();
        assertTrue(warning.startsWith("WARNING: " + files.resolve("admin.crt") + " expires " + notAfter
                + " (10 days): "), warning);
        assertTrue(warning.contains("admin renew"), warning);
    }
}
