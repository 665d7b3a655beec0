package io.pgha.agent;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.model.CertificateOrder;
import io.pgha.model.ClusterSpec;
import io.pgha.roles.CertificateSigner;
import io.pgha.tls.JoinToken;
import java.io.IOException;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where an etcd host's agent takes other hosts' certificate orders (POST /certificates): with the spec this agent
 * follows and the revoked hosts etcd holds, the signer decides; a join secret is recorded in etcd as used (once: of
 * two orders racing with one secret, one gets certificates), and every refusal is logged with the address it came
 * from. A host without the CA key has no signer.
 */
final class CertificateDesk {
    private static final Logger log = LoggerFactory.getLogger(CertificateDesk.class);
    private static final String TEXT = "text/plain; charset=utf-8";
    private static final java.time.Duration REPEAT_LOGGED_AFTER = java.time.Duration.ofMinutes(1);

    private final Optional<CertificateSigner> signer;
    private final Dcs dcs;
    private final Supplier<Optional<ClusterSpec>> spec;
    private final java.util.Map<String, Repeats> repeats = new java.util.HashMap<>();

    CertificateDesk(Optional<CertificateSigner> signer, Dcs dcs, Supplier<Optional<ClusterSpec>> spec) {
        this.signer = signer;
        this.dcs = dcs;
        this.spec = spec;
    }

    ApiServer.Response answer(String text, String peerUser, String peer, Instant now) {
        if (signer.isEmpty()) {
            return new ApiServer.Response(404, TEXT, "this host holds no CA key: send the order to an etcd host\n");
        }
        CertificateOrder order;
        try {
            order = CertificateOrder.TEXT.read(text);
        } catch (IOException e) {
            refused("certificate order from " + peer + " refused: " + e.getMessage());
            return new ApiServer.Response(400, TEXT, e.getMessage() + "\n");
        }
        try {
            boolean first = !order.secret().isEmpty();
            java.util.Set<String> revoked = dcs.revokedHosts();
            CertificateSigner.Outcome outcome = first ? signer.get().enroll(order, peer, revoked, spec.get(), now)
                    : signer.get().renew(order, peerUser, revoked, spec.get(), now);
            if (outcome instanceof CertificateSigner.Issued issued && issued.token().isPresent()) {
                JoinToken token = issued.token().get();
                long ttl = Math.max(1, token.expires().getEpochSecond() - now.getEpochSecond());
                if (!dcs.useJoinToken(token.nonce(), order.host() + " from " + peer + " at " + now, ttl)) {
                    outcome = new CertificateSigner.Refused(order.host() + ": its join secret was used already");
                }
            }
            if (outcome instanceof CertificateSigner.Issued issued) {
                log.info("certificates issued for {} at {} ({}), order from {}", order.host(), order.address(),
                        first ? "first, with its join secret" : "renewal, with its certificate", peer);
                return new ApiServer.Response(200, "application/json",
                        CertificateOrder.Answer.TEXT.write(new CertificateOrder.Answer(issued.certificates())) + "\n");
            }
            String reason = ((CertificateSigner.Refused) outcome).reason();
            refused("certificate order from " + peer + " (" + (peerUser.isEmpty() ? "no client certificate"
                    : peerUser) + ") refused: " + reason);
            return new ApiServer.Response(403, TEXT, reason + "\n");
        } catch (DcsException e) {
            log.warn("certificate order from {} for {} not answered: etcd: {}", peer, order.host(), e.getMessage());
            return new ApiServer.Response(503, TEXT, "etcd did not answer: " + e.getMessage() + "\n");
        }
    }

    /**
     * Logs a refusal; the same one again (a host waiting for its certificates asks every 2 s) only once a minute, with
     * how often it came meanwhile.
     */
    private synchronized void refused(String line) {
        long now = System.nanoTime();
        Repeats r = repeats.get(line);
        if (r != null && now - r.loggedAt < REPEAT_LOGGED_AFTER.toNanos()) {
            r.count++;
            return;
        }
        if (repeats.size() > 1000) {
            repeats.clear();
        }
        log.warn("{}{}", line, r == null || r.count == 0 ? ""
                : " (and " + r.count + " times more since it was logged)");
        repeats.put(line, new Repeats(now));
    }

    private static final class Repeats {
        final long loggedAt;
        int count;

        Repeats(long loggedAt) {
            this.loggedAt = loggedAt;
        }
    }
}
