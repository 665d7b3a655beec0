package io.pgha.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.model.HostPaths;
import io.pgha.report.AgentMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostLogsTest {
    @TempDir
    Path dir;

    private HostLogs logs() throws Exception {
        HostPaths paths = new HostPaths(dir);
        Files.createDirectories(paths.logDir());
        Files.writeString(paths.logDir().resolve("patroni.log"), String.join("\n",
                "2026-12-06 05:00:00,001 INFO: no action. I am (pg1), the leader with the lock",
                "2026-12-06 05:00:01.002 UTC [42] LOG:  checkpoint starting: time",
                "2026-12-06 05:00:02,003 INFO: no action. I am (pg1), the leader with the lock",
                "2026-12-06 05:00:03.004 UTC [42] LOG:  checkpoint complete") + "\n");
        Files.writeString(dir.resolve("agent.log"), "one\ntwo\nthree\n");
        return new HostLogs(paths, Optional.of(dir.resolve("agent.log")));
    }

    @Test
    void theLastLinesOfAProgramsLog() throws Exception {
        assertEquals(List.of("two", "three"), logs().tail("agent", 2).orElseThrow());
        assertEquals(4, logs().tail("patroni", 100).orElseThrow().size());
    }

    @Test
    void postgresLinesAreTheOnesPatroniDidNotWrite() throws Exception {
        assertEquals(List.of("2026-12-06 05:00:01.002 UTC [42] LOG:  checkpoint starting: time",
                "2026-12-06 05:00:03.004 UTC [42] LOG:  checkpoint complete"),
                logs().tail("postgres", 10).orElseThrow());
    }

    @Test
    void aProgramThatDoesNotRunHereHasNoLogAndTheApiSaysSo() throws Exception {
        assertEquals(Optional.empty(), logs().tail("etcd", 10));
        AgentApi api = new AgentApi(() -> null, new AgentMetrics(), logs(), AgentApiTest.NO_DESK);
        ApiServer.Response none = api.logs("etcd", 10);
        assertEquals(404, none.code());
        assertTrue(none.body().contains("no etcd log on this host"), none.body());
        assertEquals(400, api.logs("sshd", 10).code());
        assertEquals(400, api.logs("agent", 0).code());
        assertEquals(400, api.logs("agent", HostLogs.MAX_LINES + 1).code());
        assertEquals("three\n", api.logs("agent", 1).body());
    }
}
