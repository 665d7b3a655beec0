package io.pgha.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;

class LeaderLookTest {
    private static LeaderLook on(int port) throws Exception {
        return new LeaderLook(Duration.ofMillis(300), SSLContext.getDefault(), port, port);
    }

    @Test
    void aPortThatAcceptsAnswers() throws Exception {
        // Like a stopped postmaster too: the listen queue accepts, nothing reads. Such a leader is not failed over.
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            assertEquals(Optional.empty(), on(server.getLocalPort()).postgres("127.0.0.1"));
        }
    }

    @Test
    void aClosedPortIsRefusedAtOnce() throws Exception {
        int port;
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            port = server.getLocalPort();
        }
        assertTrue(on(port).postgres("127.0.0.1").isPresent());
        assertTrue(on(port).patroni("127.0.0.1").orElseThrow().contains("/liveness"));
    }
}
