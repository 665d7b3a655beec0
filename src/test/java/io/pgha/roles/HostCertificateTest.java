package io.pgha.roles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.model.AgentConfig;
import io.pgha.model.AgentConfigTest;
import io.pgha.model.HostIdentity;
import io.pgha.model.HostPaths;
import io.pgha.tls.ClusterFiles;
import io.pgha.tls.IssuedCertificate;
import io.pgha.tls.Pem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostCertificateTest {
    @TempDir
    Path temp;

    private HostCertificate certificate() throws Exception {
        Path pki = temp.resolve("pki");
        if (!Files.exists(pki.resolve("ca.crt"))) {
            ClusterFiles.create(pki, "demo", new SecureRandom(), Instant.now());
        }
        AgentConfig agent = AgentConfig.parse(AgentConfigTest.MINIMAL, "agent.yml", pki);
        return new HostCertificate(agent, new HostIdentity("pg1", "10.0.1.1"), new HostPaths(temp.resolve("root")),
                new SecureRandom());
    }

    @Test
    void pgBackRestsCertificateNamesItsHostAndCarriesTheAddressesAsDnsNames() throws Exception {
        HostCertificate certificate = certificate();
        assertTrue(certificate.ensure(Instant.now()));
        X509Certificate backup = Pem.readCertificate(certificate.material().backupCertificatePem(), "backup.crt");
        assertEquals("CN=pgbackrest-pg1,O=pgha", backup.getSubjectX500Principal().getName());
        List<String> names = IssuedCertificate.subjectAlternativeNames(backup);
        assertTrue(names.containsAll(List.of("pg1", "10.0.1.1", "127.0.0.1")), names.toString());
        // pgBackRest 2.45 matches DNS names only: the address must be one.
        assertTrue(backup.getSubjectAlternativeNames().stream()
                .anyMatch(n -> (Integer) n.get(0) == 2 && n.get(1).equals("10.0.1.1")), names.toString());
        Path key = temp.resolve("root/var/lib/pgha-agent/tls/backup.key");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
    }

    @Test
    void aRestartedAgentReadsItsCertificatesBackAndAnOlderOneWithoutPgBackRestsAddsOnlyThatOne() throws Exception {
        HostCertificate first = certificate();
        first.ensure(Instant.now());
        HostCertificate again = certificate();
        assertFalse(again.ensure(Instant.now()), "all three on disk: nothing to issue");
        assertEquals(first.material().backupCertificatePem(), again.material().backupCertificatePem());
        Files.delete(temp.resolve("root/var/lib/pgha-agent/tls/backup.crt"));
        Files.delete(temp.resolve("root/var/lib/pgha-agent/tls/backup.key"));
        HostCertificate upgraded = certificate();
        assertFalse(upgraded.ensure(Instant.now()), "an agent of before this certificate left none: only it is added");
        assertTrue(Files.exists(temp.resolve("root/var/lib/pgha-agent/tls/backup.crt")));
        assertEquals(first.material().certificatePem(), upgraded.material().certificatePem(), "the agent's kept");
        assertEquals(first.material().serviceCertificatePem(), upgraded.material().serviceCertificatePem(),
                "the programs' kept: etcd, Patroni and HAProxy need no restart or reload");
        assertNotEquals(first.material().backupCertificatePem(), upgraded.material().backupCertificatePem());
    }
}
