package io.pgha.agent;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.model.CertificateOrder;
import io.pgha.model.ClusterSpec;
import io.pgha.roles.CertificateSigner;
import io.pgha.tls.JoinToken;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where an etcd host's agent takes other hosts' certificate orders (POST /certificates): with the spec this agent
 * follows and the revoked hosts etcd holds, the signer decides; a join secret is recorded in etcd as used (once: of
 * two orders racing with one secret, one gets certificates), and every refusal is logged with the address it came
 * from. A host without the CA key has no signer.
 *
 * <p>A first order that only the spec stands in the way of (a new cluster's hosts order before the first apply) is
 * held for up to {@code hold} and answered the moment the spec this agent follows changes: the host gets its
 * certificates when the spec lists it, not at its next try.
 */
final class CertificateDesk implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CertificateDesk.class);
    private static final String TEXT = "text/plain; charset=utf-8";
    private static final Duration REPEAT_LOGGED_AFTER = Duration.ofMinutes(1);
    /** Held orders wait less than a host's order takes to time out (10 s). */
    static final Duration HOLD = Duration.ofSeconds(5);
    private static final long HOLD_CHECK_MILLIS = 100;
    /** Only holders of a valid join secret are held; more than this many at once are answered at once. */
    private static final int MAX_HELD = 64;

    private final Optional<CertificateSigner> signer;
    private final Dcs dcs;
    private final Supplier<Optional<ClusterSpec>> spec;
    private final Duration hold;
    private final java.util.Map<String, Repeats> repeats = new java.util.HashMap<>();
    /** Guarded by itself. */
    private final List<Order> held = new ArrayList<>();
    /** A look at the held orders is scheduled: only while some are held, nothing wakes at idle. Guarded by held. */
    private boolean looking;
    private final ScheduledExecutorService waiter;

    CertificateDesk(Optional<CertificateSigner> signer, Dcs dcs, Supplier<Optional<ClusterSpec>> spec) {
        this(signer, dcs, spec, HOLD);
    }

    CertificateDesk(Optional<CertificateSigner> signer, Dcs dcs, Supplier<Optional<ClusterSpec>> spec, Duration hold) {
        this.signer = signer;
        this.dcs = dcs;
        this.spec = spec;
        this.hold = hold;
        if (signer.isPresent() && !hold.isZero()) {
            waiter = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "certificate-orders-held");
                t.setDaemon(true);
                return t;
            });
        } else {
            waiter = null;
        }
    }

    /** One order as it came, and while held the spec it was refused with. */
    private record Order(String text, String peerUser, String peer, long deadlineNanos,
                         CompletableFuture<ApiServer.Response> answer, Optional<ClusterSpec> seen) {
    }

    /** What the signer made of an order: the response, the refusal to log if any, and whether a spec may change it. */
    private record Decision(ApiServer.Response response, Optional<String> refusal, boolean awaitsSpec) {
    }

    /** The answer to an order; it may come later, from another thread (a held order). Asks etcd: off the loop. */
    CompletableFuture<ApiServer.Response> answer(String text, String peerUser, String peer) {
        CompletableFuture<ApiServer.Response> answer = new CompletableFuture<>();
        attempt(new Order(text, peerUser, peer, System.nanoTime() + hold.toNanos(), answer, Optional.empty()));
        return answer;
    }

    /** Answers the order with the spec followed now, or holds it while only that spec stands in its way. */
    private void attempt(Order order) {
        Optional<ClusterSpec> seen = spec.get();
        Decision d;
        try {
            d = decide(order, seen, Instant.now());
        } catch (RuntimeException e) {
            order.answer().complete(new ApiServer.Response(500, TEXT, e + "\n"));
            return;
        }
        if (d.awaitsSpec() && waiter != null && System.nanoTime() < order.deadlineNanos()) {
            synchronized (held) {
                if (held.size() < MAX_HELD) {
                    held.add(new Order(order.text(), order.peerUser(), order.peer(), order.deadlineNanos(),
                            order.answer(), seen));
                    if (!looking) {
                        looking = lookLater();
                    }
                    return;
                }
            }
        }
        d.refusal().ifPresent(this::refused);
        order.answer().complete(d.response());
    }

    /** On the waiter: the held orders whose spec changed or whose time is up, answered again. */
    private void recheck() {
        Optional<ClusterSpec> now = spec.get();
        long nanos = System.nanoTime();
        List<Order> due = new ArrayList<>();
        synchronized (held) {
            held.removeIf(o -> {
                boolean go = !o.seen().equals(now) || nanos >= o.deadlineNanos();
                if (go) {
                    due.add(o);
                }
                return go;
            });
        }
        due.forEach(this::attempt);
        synchronized (held) {
            looking = !held.isEmpty() && lookLater();
        }
    }

    /** Schedules the next look at the held orders; false once the desk is closed. */
    private boolean lookLater() {
        try {
            waiter.schedule(this::recheck, HOLD_CHECK_MILLIS, TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return false;
        }
    }

    private Decision decide(Order o, Optional<ClusterSpec> seen, Instant now) {
        if (signer.isEmpty()) {
            return new Decision(new ApiServer.Response(404, TEXT,
                    "this host holds no CA key: send the order to an etcd host\n"), Optional.empty(), false);
        }
        CertificateOrder order;
        try {
            order = CertificateOrder.TEXT.read(o.text());
        } catch (IOException e) {
            return new Decision(new ApiServer.Response(400, TEXT, e.getMessage() + "\n"),
                    Optional.of("certificate order from " + o.peer() + " refused: " + e.getMessage()), false);
        }
        try {
            boolean first = !order.secret().isEmpty();
            // Without a spec every order is refused whoever is revoked: etcd is not asked (while a new cluster's
            // hosts wait for the first apply, its members are still joining and may not answer for seconds).
            java.util.Set<String> revoked = seen.isPresent() ? dcs.revokedHosts() : java.util.Set.of();
            CertificateSigner.Outcome outcome = first ? signer.get().enroll(order, o.peer(), revoked, seen, now)
                    : signer.get().renew(order, o.peerUser(), revoked, seen, now);
            if (outcome instanceof CertificateSigner.Issued issued && issued.token().isPresent()) {
                JoinToken token = issued.token().get();
                long ttl = Math.max(1, token.expires().getEpochSecond() - now.getEpochSecond());
                if (!dcs.useJoinToken(token.nonce(), order.host() + " from " + o.peer() + " at " + now, ttl)) {
                    outcome = new CertificateSigner.Refused(order.host() + ": its join secret was used already");
                }
            }
            if (outcome instanceof CertificateSigner.Issued issued) {
                log.info("certificates issued for {} at {} ({}), order from {}", order.host(), order.address(),
                        first ? "first, with its join secret" : "renewal, with its certificate", o.peer());
                return new Decision(new ApiServer.Response(200, "application/json",
                        CertificateOrder.Answer.TEXT.write(new CertificateOrder.Answer(issued.certificates())) + "\n"),
                        Optional.empty(), false);
            }
            CertificateSigner.Refused refused = (CertificateSigner.Refused) outcome;
            return new Decision(new ApiServer.Response(403, TEXT, refused.reason() + "\n"),
                    Optional.of("certificate order from " + o.peer() + " (" + (o.peerUser().isEmpty()
                            ? "no client certificate" : o.peerUser()) + ") refused: " + refused.reason()),
                    first && refused.awaitsSpec());
        } catch (DcsException e) {
            log.warn("certificate order from {} for {} not answered: etcd: {}", o.peer(), order.host(),
                    e.getMessage());
            return new Decision(new ApiServer.Response(503, TEXT, "etcd did not answer: " + e.getMessage() + "\n"),
                    Optional.empty(), false);
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

    /** How many orders are held now. */
    int held() {
        synchronized (held) {
            return held.size();
        }
    }

    /** Held orders are answered that the agent stops. */
    @Override
    public void close() {
        if (waiter != null) {
            waiter.shutdownNow();
        }
        List<Order> left;
        synchronized (held) {
            left = new ArrayList<>(held);
            held.clear();
        }
        left.forEach(o -> o.answer().complete(new ApiServer.Response(503, TEXT, "the agent is stopping\n")));
    }

    private static final class Repeats {
        final long loggedAt;
        int count;

        Repeats(long loggedAt) {
            this.loggedAt = loggedAt;
        }
    }
}
