package io.pgha.probe;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgha.net.HttpText;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Asks one etcd member's {@code /health} endpoint whether it is part of a quorum, and reads its /metrics. */
public final class EtcdHealth {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpText http;

    /** Over https, presenting {@code tls}'s certificate: etcd answers no one else, not even /health. */
    public EtcdHealth(Duration timeout, javax.net.ssl.SSLContext tls) {
        this.http = new HttpText(timeout, tls);
    }

    public record Result(String endpoint, boolean healthy, String detail) {
    }

    /** The member's /metrics, read. */
    public EtcdMetrics metrics(String clientUrl) throws IOException {
        HttpResponse<String> response = http.get(clientUrl + "/metrics");
        if (response.statusCode() != 200) {
            throw new IOException(clientUrl + "/metrics: HTTP " + response.statusCode());
        }
        try {
            return EtcdMetrics.from(PrometheusText.parse(response.body()));
        } catch (IllegalArgumentException e) {
            throw new IOException(clientUrl + "/metrics unreadable: " + e.getMessage(), e);
        }
    }

    public Result probe(String clientUrl) {
        try {
            HttpResponse<String> response = http.get(clientUrl + "/health");
            var body = JSON.readTree(response.body());
            boolean healthy = response.statusCode() == 200 && body.path("health").asText().equals("true");
            String reason = body.path("reason").asText("");
            return new Result(clientUrl, healthy, healthy ? "" : "HTTP " + response.statusCode()
                    + (reason.isEmpty() ? "" : ": " + reason));
        } catch (IOException e) {
            return new Result(clientUrl, false, e.getMessage());
        }
    }
}
