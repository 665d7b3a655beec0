package io.pgha.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.tls.ClusterCa;
import io.pgha.tls.Pem;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** pghactl admin renew: a new admin certificate and key from the CA beside agent.yml, 0600, nothing else touched. */
class AdminRenewTest {
    private static int run(StringWriter out, StringWriter err, String... args) {
        CommandLine cli = new CommandLine(new CtlMain());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println(e.getMessage());
            return e instanceof CtlMain.BadInputException ? CtlMain.BAD_INPUT : CtlMain.FAILURE;
        });
        return cli.execute(args);
    }

    @Test
    void aNewAdminCertificateOfTheSameCaReplacesTheOldOne(@TempDir Path dir) throws Exception {
        Path files = dir.resolve("demo");
        assertEquals(0, run(new StringWriter(), new StringWriter(), "init", "--cluster", "demo", "--member",
                "etcd1=10.0.0.1", "--dir", files.toString()));
        String caBefore = Files.readString(files.resolve("ca.crt"));
        X509Certificate before = Pem.readCertificate(Files.readString(files.resolve("admin.crt")), "before");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(0, run(out, err, "--config", files.resolve("agent.yml").toString(), "admin", "renew"),
                err.toString());
        assertTrue(out.toString().startsWith("renewed "), out.toString());
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
        StringWriter refused = new StringWriter();
        assertEquals(CtlMain.BAD_INPUT, run(new StringWriter(), refused, "--config",
                files.resolve("agent.yml").toString(), "admin", "renew"));
        assertTrue(refused.toString().contains("there is none at"), refused.toString());
    }

    @Test
    void statusWarnsAMonthBeforeTheAdminCertificateExpires(@TempDir Path dir) throws Exception {
        Path files = dir.resolve("demo");
        assertEquals(0, run(new StringWriter(), new StringWriter(), "init", "--cluster", "demo", "--member",
                "etcd1=10.0.0.1", "--dir", files.toString()));
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
