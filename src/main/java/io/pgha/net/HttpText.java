package io.pgha.net;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The probes' HTTP: every request has a deadline, and every failure is an IOException whose message names the
 * request (connection failures often carry no message of their own).
 */
public final class HttpText {
    private final HttpClient http;
    private final Duration timeout;

    /** Plain http: only for endpoints that carry nothing of the cluster (none left but tests of refusal). */
    public HttpText(Duration timeout) {
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    /** https with this TLS context: its CA decides whom to trust, its key manager who we are. */
    public HttpText(Duration timeout, javax.net.ssl.SSLContext tls) {
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).sslContext(tls).build();
    }

    public Duration timeout() {
        return timeout;
    }

    public HttpResponse<String> get(String url) throws IOException {
        return send(HttpRequest.newBuilder(URI.create(url)).timeout(timeout).GET().build());
    }

    public HttpResponse<String> send(HttpRequest request) throws IOException {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IOException(request.method() + " " + request.uri() + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(request.method() + " " + request.uri() + ": interrupted", e);
        }
    }
}
