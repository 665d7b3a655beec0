package io.pgha.roles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.resources.Owner;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against a real HAProxy on loopback: its servers' states reach the file a reload starts from. */
class HaproxyServerStateTest {
    @TempDir
    Path dir;

    @Test
    void theServersStatesAsHaproxyKnowsThemAreSavedForTheNextGeneration() throws Exception {
        Path socket = dir.resolve("admin.sock");
        Path stateFile = dir.resolve("server-state");
        int port = closedPort();
        Path cfg = Files.writeString(dir.resolve("haproxy.cfg"), """
                global
                    stats socket %s mode 600 level admin
                defaults
                    mode tcp
                    timeout connect 1s
                    timeout client 5s
                    timeout server 5s
                    timeout check 1s
                backend primary
                    default-server inter 100ms rise 1 fall 1
                    server pg1 127.0.0.1:%d check port %d
                """.formatted(socket, port, port));
        Process haproxy = new ProcessBuilder(List.of("/usr/sbin/haproxy", "-db", "-f", cfg.toString()))
                .redirectErrorStream(true).redirectOutput(dir.resolve("haproxy.log").toFile()).start();
        try {
            HaproxyServerState saver = new HaproxyServerState(socket, stateFile, new Owner("root", "root", 0640),
                    Map.of("pg1", "127.0.0.1 " + port + " " + port));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            String state = "";
            // Up at start, down once its first check finds nothing listening: op_state 0 in the saved line.
            while (!serverLine(state).contains(" pg1 127.0.0.1 0 ") && System.nanoTime() < deadline) {
                Thread.sleep(100);
                if (Files.exists(socket)) {
                    saver.beforeReload();
                    state = Files.readString(stateFile);
                }
            }
            assertTrue(state.startsWith("1\n# be_id be_name srv_id srv_name srv_addr srv_op_state"), state);
            assertTrue(serverLine(state).contains(" pg1 127.0.0.1 0 "), "pg1 saved as down: " + state
                    + Files.readString(dir.resolve("haproxy.log")));
            assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(stateFile)));
            saver.beforeStart();
            assertEquals("1\n", Files.readString(stateFile), "a fresh start takes no states of an earlier generation");
        } finally {
            haproxy.destroy();
            haproxy.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void withoutHaproxyTheErrorNamesTheSocket() {
        Path socket = dir.resolve("none.sock");
        IOException e = assertThrows(IOException.class, () -> new HaproxyServerState(socket,
                dir.resolve("server-state"), new Owner("root", "root", 0640), Map.of()).beforeReload());
        assertTrue(e.getMessage().contains(socket.toString()), e.getMessage());
        assertTrue(Files.notExists(dir.resolve("server-state")), "nothing written");
    }

    /** A server that moved, or that the new configuration no longer has, starts afresh: HAProxy would take the old
     * address from the file. */
    @Test
    void onlyServersAtTheSameAddressAndPortsKeepTheirState() throws Exception {
        String state = """
                1
                # be_id be_name srv_id srv_name srv_addr srv_op_state srv_port srv_check_port
                2 primary 1 pg1 10.0.1.1 2 5432 8008
                2 primary 2 pg2 10.0.1.2 0 5432 8008
                2 primary 3 pg3 10.0.1.3 0 5432 8008
                3 replicas 1 pg1 10.0.1.1 0 5432 8008
                """;
        String kept = HaproxyServerState.kept(state, Map.of("pg1", "10.0.1.1 5432 8008", "pg2", "10.0.1.9 5432 8008"),
                dir);
        assertEquals("""
                1
                # be_id be_name srv_id srv_name srv_addr srv_op_state srv_port srv_check_port
                2 primary 1 pg1 10.0.1.1 2 5432 8008
                3 replicas 1 pg1 10.0.1.1 0 5432 8008
                """, kept);
        IOException e = assertThrows(IOException.class, () -> HaproxyServerState.kept("Unknown command.\n",
                Map.of(), dir));
        assertTrue(e.getMessage().contains("answered \"Unknown command.\", expected the state file format 1"),
                e.getMessage());
    }

    private static String serverLine(String state) {
        return state.lines().filter(l -> l.startsWith("2 primary ") || l.startsWith("1 primary ")).findFirst()
                .orElse("");
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
