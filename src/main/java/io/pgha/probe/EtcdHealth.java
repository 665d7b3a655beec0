package io.pgha.probe;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Asks one etcd member's {@code /health} endpoint whether it is part of a quorum. */
public final class EtcdHealth {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http;
    private final Duration timeout;

    public EtcdHealth(Duration timeout) {
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    public record Result(String endpoint, boolean healthy, String detail) {
    }

    /** The member's /metrics, read. */
    public EtcdMetrics metrics(String clientUrl) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(clientUrl + "/metrics")).timeout(timeout).GET().build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IOException(clientUrl + "/metrics: HTTP " + response.statusCode());
            }
            return EtcdMetrics.from(PrometheusText.parse(response.body()));
        } catch (IllegalArgumentException e) {
            throw new IOException(clientUrl + "/metrics unreadable: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    public Result probe(String clientUrl) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(clientUrl + "/health")).timeout(timeout).GET().build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            var body = JSON.readTree(response.body());
            boolean healthy = response.statusCode() == 200 && body.path("health").asText().equals("true");
            String reason = body.path("reason").asText("");
            return new Result(clientUrl, healthy, healthy ? "" : "HTTP " + response.statusCode()
                    + (reason.isEmpty() ? "" : ": " + reason));
        } catch (IOException e) {
            return new Result(clientUrl, false, e.getClass().getSimpleName() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(clientUrl, false, "interrupted");
        }
    }
}
