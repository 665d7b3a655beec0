package io.pgha.probe;

import io.pgha.net.HttpText;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * Fast failover's look at the leader from another host, cheap enough for several a second: does its Postgres port
 * accept a connection (closed at once, before any byte is sent: Postgres logs nothing for that unless
 * log_connections is on), and, only when it does not, does its Patroni answer over https (any HTTP answer counts:
 * the process is alive and reachable). A stopped postmaster still looks alive (its kernel accepts for it), which
 * errs on the side of no failover.
 */
public final class LeaderLook {
    private final HttpText http;
    private final int timeoutMillis;
    private final int postgresPort;
    private final int patroniPort;

    /** Looks at Postgres and Patroni on these ports, each look within {@code timeout}. */
    public LeaderLook(Duration timeout, SSLContext tls, int postgresPort, int patroniPort) {
        this.http = new HttpText(timeout, tls);
        this.timeoutMillis = (int) timeout.toMillis();
        this.postgresPort = postgresPort;
        this.patroniPort = patroniPort;
    }

    /** Empty when the Postgres port at {@code address} accepts a connection; else what went wrong. */
    public Optional<String> postgres(String address) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, postgresPort), timeoutMillis);
            return Optional.empty();
        } catch (java.net.SocketTimeoutException e) {
            return Optional.of("no connection within " + timeoutMillis + " ms");
        } catch (IOException e) {
            return Optional.of(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
    }

    /** Empty when Patroni's REST API at {@code address} answers at all; else what went wrong. */
    public Optional<String> patroni(String address) {
        try {
            http.get("https://" + address + ":" + patroniPort + "/liveness");
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of(e.getMessage());
        }
    }

    /**
     * Whether Patroni at {@code address} answers /primary with 200 (it holds the leader key and its Postgres is the
     * primary): what HAProxy's check of the primary listen asks.
     */
    public boolean primary(String address) {
        try {
            return http.get("https://" + address + ":" + patroniPort + "/primary").statusCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }
}
