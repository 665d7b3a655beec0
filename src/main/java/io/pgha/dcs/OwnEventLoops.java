package io.pgha.dcs;

import io.etcd.jetcd.ClientBuilder;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Event loops of its own for each etcd client a one-shot command builds, ended and waited for when it is closed.
 * Without them a client runs on gRPC's shared event loop, which lives on for a second after its last channel closed,
 * inside epoll_wait; and HotSpot's exit waits up to 300 ms for every thread inside a system call (Java 17 and 21 have
 * no switch for it): pghactl commands waited up to 0.3 s after their output (bench/RESULTS.md, issue 33).
 */
final class OwnEventLoops implements AutoCloseable {
    private static final long CLOSE_MILLIS = 2000;
    private final List<Vertx> started = new ArrayList<>();

    /** {@code builder} with a new event loop (one thread, started when the channel first needs it). */
    synchronized ClientBuilder give(ClientBuilder builder) {
        Vertx vertx = Vertx.vertx(new VertxOptions().setUseDaemonThread(true).setEventLoopPoolSize(1)
                .setWorkerPoolSize(1).setInternalBlockingPoolSize(1));
        started.add(vertx);
        return builder.vertx(vertx);
    }

    /**
     * Each loop closed (jetcd's client closes the one it was given, without waiting) and its threads' end awaited: a
     * thread still polling when the JVM exits is what this class is for. Bounded: a loop that does not end in time is
     * left.
     */
    @Override
    public synchronized void close() {
        for (Vertx vertx : started) {
            try {
                vertx.close().toCompletionStage().toCompletableFuture().get(CLOSE_MILLIS, TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                // closing failed or took too long: the threads' end below is still waited for, as long
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            // Vert.x's close may complete before the loops' threads have left their poll; only its Netty groups (an
            // internal interface of Vert.x: no public one says when the threads are done) tell.
            VertxInternal loops = (VertxInternal) vertx;
            loops.eventLoopGroup().terminationFuture().awaitUninterruptibly(CLOSE_MILLIS);
            loops.acceptorEventLoopGroup().terminationFuture().awaitUninterruptibly(CLOSE_MILLIS);
        }
    }

    /** Whether every loop given out has ended (its threads out of their poll). */
    synchronized boolean ended() {
        return started.stream().map(VertxInternal.class::cast).allMatch(v -> v.eventLoopGroup().isTerminated()
                && v.acceptorEventLoopGroup().isTerminated());
    }
}
