package io.pgha.roles;

import io.pgha.model.CertificateOrder;
import io.pgha.model.ClusterSpec;
import io.pgha.tls.CertificateRequest;
import io.pgha.tls.ClusterCa;
import io.pgha.tls.JoinToken;
import io.pgha.tls.Pem;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * On a host that holds the CA key (an etcd member's): another host's certificates for the keys it sent, or why not.
 * Who the certificates are for comes from the spec (the host's name and its address there), never from the order,
 * which only names the host: an order cannot ask for {@code admin}, for another host's name or address, or for a
 * name the spec does not list. A first order is authenticated by a join secret bound to the host and its address
 * (a {@link JoinToken}) and must come from that address; a renewal by the host's current agent certificate, unless
 * the host is revoked.
 */
public final class CertificateSigner {
    private final String cluster;
    private final ClusterCa ca;
    private final Duration lifetime;

    public CertificateSigner(String cluster, ClusterCa ca, Duration lifetime) {
        this.cluster = cluster;
        this.ca = ca;
        this.lifetime = lifetime;
    }

    /** What came of an order. */
    public sealed interface Outcome {
    }

    /** Each purpose's certificate, PEM; the join token of a first order, which the caller records as used. */
    public record Issued(Map<String, String> certificates, Optional<JoinToken> token) implements Outcome {
    }

    /**
     * Refused; {@code reason} is for the log and for the host that asked (it names no secret). {@code awaitsSpec}: only
     * the spec stands in the way (none yet, or one that does not list the host there), so a later spec may allow it.
     */
    public record Refused(String reason, boolean awaitsSpec) implements Outcome {
        public Refused(String reason) {
            this(reason, false);
        }
    }

    /**
     * A host's first certificates, for the join secret {@code pghactl host add} made for it, ordered from the address
     * it is for ({@code peer}: where the connection came from).
     */
    public Outcome enroll(CertificateOrder order, String peer, Set<String> revoked, Optional<ClusterSpec> spec,
                          Instant now) {
        if (order.secret().isEmpty()) {
            return new Refused(order.host() + ": a first certificate needs the join secret (pghactl host add "
                    + order.host() + " --address " + order.address() + " prints one)");
        }
        JoinToken token;
        try {
            token = JoinToken.validate(order.secret(), ca.issued().certificate(), now);
        } catch (JoinToken.Invalid e) {
            return new Refused(order.host() + ": " + e.getMessage());
        }
        if (!token.cluster().equals(cluster) || !token.host().equals(order.host())
                || !token.address().equals(order.address())) {
            return new Refused(order.host() + ": its join secret is for " + token.host() + " at " + token.address()
                    + " of cluster " + token.cluster() + ", the order is for " + order.host() + " at "
                    + order.address() + " of " + cluster);
        }
        if (revoked.contains(order.host())) {
            return new Refused(order.host() + ": revoked (pghactl host revoke); a host rebuilt takes a new name");
        }
        Optional<Refused> unknown = checkSpec(order, spec);
        if (unknown.isPresent()) {
            return unknown.get();
        }
        if (!peer.equals(order.address())) {
            return new Refused(order.host() + ": the order came from " + peer + ", not from its address "
                    + order.address());
        }
        return certify(order, Optional.of(token), now);
    }

    /** New certificates for a host that proved itself with its current agent certificate ({@code peerUser}). */
    public Outcome renew(CertificateOrder order, String peerUser, Set<String> revoked, Optional<ClusterSpec> spec,
                         Instant now) {
        String expected = HostCertificateRequests.agentUser(order.host());
        if (!peerUser.equals(expected)) {
            return new Refused(order.host() + ": a renewal comes with the host's own agent certificate (" + expected
                    + "), found " + (peerUser.isEmpty() ? "none" : peerUser));
        }
        if (revoked.contains(order.host())) {
            return new Refused(order.host() + ": revoked (pghactl host revoke), its certificates are not renewed");
        }
        Optional<Refused> unknown = checkSpec(order, spec);
        return unknown.isPresent() ? unknown.get() : certify(order, Optional.empty(), now);
    }

    private static Optional<Refused> checkSpec(CertificateOrder order, Optional<ClusterSpec> spec) {
        if (spec.isEmpty()) {
            return Optional.of(new Refused(order.host() + ": no spec yet; a host gets certificates once the spec"
                    + " lists it", true));
        }
        Optional<ClusterSpec.Host> host = spec.get().host(order.host());
        if (host.isEmpty()) {
            return Optional.of(new Refused(order.host() + ": not a host of the spec", true));
        }
        if (!host.get().address().equals(order.address())) {
            return Optional.of(new Refused(order.host() + ": the spec has it at " + host.get().address()
                    + ", the order says " + order.address(), true));
        }
        return Optional.empty();
    }

    private Outcome certify(CertificateOrder order, Optional<JoinToken> token, Instant now) {
        if (!order.keys().keySet().equals(Set.copyOf(HostCertificateRequests.PURPOSES))) {
            return new Refused(order.host() + ": expected one key for each of " + HostCertificateRequests.PURPOSES
                    + ", found " + new TreeSet<>(order.keys().keySet()));
        }
        Map<String, PublicKey> keys = new LinkedHashMap<>();
        for (String purpose : HostCertificateRequests.PURPOSES) {
            Optional<PublicKey> key = p256(order.keys().get(purpose));
            if (key.isEmpty()) {
                return new Refused(order.host() + ": keys." + purpose + ": expected an EC P-256 public key"
                        + " (X.509 SubjectPublicKeyInfo, base64)");
            }
            keys.put(purpose, key.get());
        }
        Map<String, CertificateRequest> requests = HostCertificateRequests.of(cluster, order.host(),
                order.address(), lifetime);
        Map<String, String> certificates = new LinkedHashMap<>();
        keys.forEach((purpose, key) -> certificates.put(purpose,
                Pem.certificate(ca.certify(requests.get(purpose), key, now))));
        return new Issued(certificates, token);
    }

    private static Optional<PublicKey> p256(String base64) {
        if (base64 == null) {
            return Optional.empty();
        }
        try {
            PublicKey key = KeyFactory.getInstance("EC").generatePublic(
                    new X509EncodedKeySpec(Base64.getDecoder().decode(base64)));
            return key instanceof ECPublicKey ec && ec.getParams().getCurve().getField().getFieldSize() == 256
                    ? Optional.of(key) : Optional.empty();
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
