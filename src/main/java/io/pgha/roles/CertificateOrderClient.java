package io.pgha.roles;

import io.pgha.model.CertificateOrder;
import io.pgha.net.HttpText;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;

/**
 * Sends a host's certificate order to the etcd hosts' agents (which hold the CA key), one after another until one
 * answers: over https, the signer checked against the cluster CA, presenting {@code tls}'s certificate if it has one
 * (a renewal's). A refusal is final for this try (every signer reads the same spec and grants); an unreachable signer
 * passes the order to the next.
 */
final class CertificateOrderClient {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final List<URI> signers;

    /** {@code addresses}: the etcd members' addresses; {@code port}: their agents' api port. */
    CertificateOrderClient(List<String> addresses, int port) {
        this.signers = addresses.stream().map(a -> URI.create("https://" + (a.contains(":") ? "[" + a + "]" : a)
                + ":" + port + "/certificates")).toList();
    }

    CertificateOrder.Answer send(CertificateOrder order, SSLContext tls) throws HostCertificate.NotSigned {
        HttpText http = new HttpText(TIMEOUT, tls);
        List<String> failures = new ArrayList<>();
        for (URI signer : signers) {
            HttpResponse<String> response;
            try {
                response = http.send(HttpRequest.newBuilder(signer).timeout(TIMEOUT)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(CertificateOrder.TEXT.write(order))).build());
            } catch (IOException e) {
                failures.add(e.getMessage());
                continue;
            }
            String body = response.body().strip();
            if (response.statusCode() == 200) {
                try {
                    return CertificateOrder.Answer.TEXT.read(body);
                } catch (IOException e) {
                    throw new HostCertificate.NotSigned(signer + ": " + e.getMessage());
                }
            }
            if (response.statusCode() == 403) {
                throw new HostCertificate.NotSigned("refused by " + signer.getHost() + ": " + body);
            }
            failures.add(signer + ": " + response.statusCode() + " " + body);
        }
        throw new HostCertificate.NotSigned("no etcd host's agent signed (" + String.join("; ", failures) + ")");
    }
}
