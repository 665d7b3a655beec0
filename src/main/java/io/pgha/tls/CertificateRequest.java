package io.pgha.tls;

import java.time.Duration;
import java.util.List;

/**
 * What a certificate is to say: who (the common name, which etcd takes as the user name of a client certificate),
 * where (DNS names and IP addresses a peer checks), and for how long.
 */
public record CertificateRequest(String commonName, List<String> dnsNames, List<String> ipAddresses,
                                 Duration lifetime) {
    public CertificateRequest {
        dnsNames = List.copyOf(dnsNames);
        ipAddresses = List.copyOf(ipAddresses);
        if (lifetime.isNegative() || lifetime.isZero()) {
            throw new IllegalArgumentException("a certificate's lifetime must be positive, found " + lifetime);
        }
    }
}
