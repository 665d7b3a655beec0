package io.pgha.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.model.Health;
import io.pgha.model.HostStatus;
import io.pgha.report.AgentMetrics;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class AgentApiTest {
    private static HostStatus status(boolean converged, String error, List<String> problems,
                                     List<HostStatus.ProcessLine> processes) {
        return new HostStatus(HostStatus.SCHEMA, "pg1", "127.0.0.1", "data", 4, converged,
                converged ? HostStatus.APPLIED : HostStatus.PENDING, List.of(), List.of(), processes,
                Health.NONE, problems, List.of(), List.of(), List.of(), error, "test", 1, 0, 0, null, null);
    }

    @Test
    void healthyOnlyWhenConvergedWithNothingWrong() {
        AtomicReference<HostStatus> latest = new AtomicReference<>();
        AgentApi api = new AgentApi(latest::get, new AgentMetrics());
        assertEquals(503, api.health().code(), "before the first status");
        assertTrue(api.health().body().contains("starting"));

        latest.set(status(true, "", List.of(), List.of(new HostStatus.ProcessLine("patroni", "running", 7, 0, ""))));
        assertEquals(200, api.health().code(), api.health().body());

        latest.set(status(false, "", List.of(), List.of()));
        assertEquals(503, api.health().code());
        assertTrue(api.health().body().contains("converging spec rev 4"), api.health().body());

        latest.set(status(true, "etcd unreachable since 2026-11-27T00:00:00Z (5 s): no answer", List.of("lag"),
                List.of(new HostStatus.ProcessLine("patroni", "backoff", 0, 2, "exit code 1"))));
        assertEquals(List.of("etcd unreachable since 2026-11-27T00:00:00Z (5 s): no answer", "lag",
                "patroni is backoff (exit code 1)"), AgentApi.reasons(latest.get()));
        assertEquals(503, api.health().code());
    }

    @Test
    void anAddressInUseIsRetriedNotFatal() throws Exception {
        AtomicReference<HostStatus> latest = new AtomicReference<>(status(true, "", List.of(), List.of()));
        int port;
        ApiEndpoint endpoint;
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            port = taken.getLocalPort();
            endpoint = new ApiEndpoint("127.0.0.1:" + port, new AgentApi(latest::get, new AgentMetrics()),
                    Duration.ZERO);
            assertFalse(endpoint.ensureBound(), "the port is taken");
        }
        try (endpoint) {
            assertTrue(endpoint.ensureBound(), "bound once the port is free");
            HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/health")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode(), health.body());
        }
    }
}
