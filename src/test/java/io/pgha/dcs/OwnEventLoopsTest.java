package io.pgha.dcs;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.tls.ClusterFiles;
import io.pgha.tls.TlsFiles;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A command's etcd client leaves no event loop running once closed: the JVM's exit would wait for it. */
class OwnEventLoopsTest {
    @Test
    void aCommandsClientEndsItsEventLoopsOnClose(@TempDir Path dir) throws Exception {
        ClusterFiles.create(dir, "t", new SecureRandom(), Instant.now());
        TlsFiles admin = new TlsFiles(dir.resolve("ca.crt"), dir.resolve("admin.crt"), dir.resolve("admin.key"));
        OwnEventLoops loops = new OwnEventLoops();
        // Port 9 (discard) has no listener: the channel's connection attempt runs on the client's event loop.
        try (EtcdConnection etcd = new EtcdConnection("t", List.of("https://127.0.0.1:9"), Duration.ofMillis(500),
                admin, Optional.of(loops))) {
            assertThrows(DcsException.class, () -> etcd.get("/t"));
            assertFalse(loops.ended(), "the open client runs on a loop of its own");
            // A second client of the same connection (one member's, as the administration makes) gets its own.
            etcd.build(List.of("https://127.0.0.1:9")).close();
        }
        assertTrue(loops.ended(), "closing the client ended every loop it was given");
    }
}
