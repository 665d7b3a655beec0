package io.pgha.agent;

import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP endpoint on api.listen, kept bound: an address that cannot be bound (port taken, address not on the host
 * yet) is one line in the log, the agent converges on without the endpoint, and the bind is tried again later.
 */
final class ApiEndpoint implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ApiEndpoint.class);
    static final Duration RETRY = Duration.ofSeconds(30);

    private final String listen;
    private final ApiServer.Endpoints endpoints;
    private final Optional<SslContext> tls;
    private final Duration retry;
    private Optional<ApiServer> server = Optional.empty();
    private long lastTry;
    private String lastFailure = "";

    ApiEndpoint(String listen, ApiServer.Endpoints endpoints, Optional<SslContext> tls, Duration retry) {
        this.listen = listen;
        this.endpoints = endpoints;
        this.tls = tls;
        this.retry = retry;
    }

    /** Binds if not bound yet and the last try is long enough ago; true while bound. */
    synchronized boolean ensureBound() {
        if (server.isPresent()) {
            return true;
        }
        if (lastTry != 0 && System.nanoTime() - lastTry < retry.toNanos()) {
            return false;
        }
        lastTry = System.nanoTime();
        int colon = listen.lastIndexOf(':');
        try {
            server = Optional.of(new ApiServer(new InetSocketAddress(listen.substring(0, colon),
                    Integer.parseInt(listen.substring(colon + 1))), endpoints, tls));
            log.info("HTTP endpoint on {}: /health and /metrics (http or https), /status (https with a cluster"
                    + " certificate)", listen);
            lastFailure = "";
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (java.io.IOException | RuntimeException e) {
            String reason = AgentLoop.describe(e);
            if (!reason.equals(lastFailure)) {
                log.error("cannot listen on {} (api.listen): {}; converging without the HTTP endpoint, trying again"
                        + " every {} s", listen, reason, retry.toSeconds());
                lastFailure = reason;
            }
            return false;
        }
    }

    @Override
    public synchronized void close() {
        server.ifPresent(ApiServer::close);
        server = Optional.empty();
    }
}
