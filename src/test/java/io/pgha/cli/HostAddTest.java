package io.pgha.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.tls.ClusterCa;
import io.pgha.tls.JoinToken;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * pghactl host add: a join secret signed with the CA key beside agent.yml, for a host and address that are not an
 * etcd member's; bad input refused with exit 2 and the reason, before anything is written. etcd is not there: the
 * spec is not checked, which it says.
 */
class HostAddTest {
    @Test
    void aSecretForAHostAtItsAddressSignedByTheCaAndNothingForAnEtcdMemberOrWithoutTheKey(@TempDir Path dir)
            throws Exception {
        Path files = dir.resolve("demo");
        // Members on loopback addresses nobody listens on: the spec check fails fast.
        assertEquals(0, CtlRun.of("init", "--cluster", "demo", "--member", "etcd1=127.0.9.1", "--dir", files.toString())
                .code());
        String config = files.resolve("agent.yml").toString();
        CtlRun added = CtlRun.of("--config", config, "host", "add", "pg1", "--address", "10.0.1.1", "--valid", "2");
        assertEquals(0, added.code(), added.err());
        ClusterCa ca = ClusterCa.load(Files.readString(files.resolve("ca.crt")),
                Files.readString(files.resolve("ca.key")), "ca", new SecureRandom());
        JoinToken token = JoinToken.validate(added.out(), ca.issued().certificate(), Instant.now());
        assertEquals("pg1", token.host());
        assertEquals("10.0.1.1", token.address());
        assertTrue(added.err().contains("the spec was not checked"), added.err());

        Path secretFile = dir.resolve("pg2.secret");
        CtlRun toFile = CtlRun.of("--config", config, "host", "add", "pg2", "--address", "10.0.1.2", "--secret-file",
                secretFile.toString());
        assertEquals(0, toFile.code(), toFile.err());
        assertEquals("", toFile.out(), "the secret goes to the file only");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(secretFile)));
        assertEquals("pg2", JoinToken.validate(Files.readString(secretFile), ca.issued().certificate(),
                Instant.now()).host());

        assertEquals(CtlMain.BAD_INPUT, CtlRun.of("--config", config, "host", "add", "etcd1", "--address", "10.0.1.9")
                .code(), "an etcd member issues its own");
        assertTrue(CtlRun.of("--config", config, "host", "add", "pg3", "--address", "10.0.1.300").err()
                .contains("--address: expected an IPv4 address"));
        assertTrue(CtlRun.of("--config", config, "host", "add", "pg3", "--address", "10.0.1.3", "--valid", "0").err()
                .contains("--valid: expected hours from 1 to 720, found 0"));
        assertTrue(CtlRun.of("--config", config, "host", "add", "pg2", "--address", "10.0.1.2", "--secret-file",
                secretFile.toString()).err().contains("exists; expected a new file"));
        Files.delete(files.resolve("ca.key"));
        CtlRun withoutKey = CtlRun.of("--config", config, "host", "add", "pg3", "--address", "10.0.1.3");
        assertEquals(CtlMain.BAD_INPUT, withoutKey.code());
        assertTrue(withoutKey.err().contains("signed with the cluster CA's key, and there is none at"),
                withoutKey.err());
        assertEquals("", withoutKey.out(), "no secret without the key");
    }
}
