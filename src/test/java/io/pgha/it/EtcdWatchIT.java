package io.pgha.it;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.EtcdDcs;
import io.pgha.dcs.Keys;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The etcd client's watches against a real etcd on loopback, over TLS as the agents use it: a watch that etcd ends
 * (here: from a compacted revision) while the client moves to new endpoints. The two once waited on each other for
 * good, which froze an agent's loop after a restart with a stale member list. That race spans microseconds and cannot
 * be forced from outside; what this checks each round is the move's contract around it: the move returns, and the
 * end of the watch that is current after it is reported (a replaced watcher's end is not news, the current one's is).
 */
class EtcdWatchIT {
    private static final String CLUSTER = "watchtest";
    private static final int ROUNDS = 200;
    /** An address of its own on loopback: nothing else binds there, so the ports are free without a search. */
    private static final String ADDRESS = "127.0.3.1";

    @TempDir
    Path dir;

    /**
     * A watch from now, on a key that is absent, sees a put another client makes the moment the watch is returned,
     * and again one made the moment a move to other endpoints returns, before any event came. jetcd creates a watch
     * on a stream of its own: returned before etcd had created it, or moved from "now" again, a watch could miss such
     * a put, and its owner wait for a change that had come. Moved from "now", it lost the put in the second round:
     * the new client's stream takes longer to set up than another client's put.
     */
    @Test
    void aWatchFromNowMissesNoChangeMadeOnceItIsReturnedNorAcrossAMove() throws Exception {
        TestEtcd etcd = new TestEtcd(dir, ADDRESS, CLUSTER);
        List<String> first = List.of(etcd.clientUrl());
        List<String> second = List.of(etcd.secondClientUrl());
        Keys keys = new Keys(CLUSTER);
        try (EtcdDcs watching = etcd.dcs(); EtcdDcs writer = etcd.dcs()) {
            List<String> at = first;
            for (int round = 0; round < 40; round++) {
                String host = "host" + round;
                Semaphore changes = new Semaphore(0);
                try (Dcs.Watch watch = watching.watchRequest(host, 0, changes::release, e -> { })) {
                    if (round % 2 == 1) {
                        at = at == first ? second : first;
                        watching.useEndpoints(at);
                    }
                    writer.put(keys.request(host), "a", 0);
                    assertTrue(changes.tryAcquire(10, TimeUnit.SECONDS), "round " + round + ": a put made once the"
                            + (round % 2 == 1 ? " watch moved" : " watch was returned") + " was never seen");
                    at = at == first ? second : first;
                    watching.useEndpoints(at);
                    writer.put(keys.request(host), "b", 0);
                    assertTrue(changes.tryAcquire(10, TimeUnit.SECONDS),
                            "round " + round + ": a put made once the watch moved after an event was never seen");
                }
            }
        } finally {
            etcd.close();
        }
    }

    @Test
    void movingToNewEndpointsWhileAWatchEndsNeitherHangsNorLosesTheEnd() throws Exception {
        TestEtcd etcd = new TestEtcd(dir, ADDRESS, CLUSTER);
        List<String> first = List.of(etcd.clientUrl());
        List<String> second = List.of(etcd.secondClientUrl());
        EtcdDcs dcs = etcd.dcs();
        boolean hung = false;
        try {
            for (int i = 0; i < 20; i++) {
                dcs.put("/pgha-test/key", "value " + i, 0);
            }
            dcs.admin().compact();
            for (int round = 0; round < ROUNDS; round++) {
                CountDownLatch ended = new CountDownLatch(1);
                dcs.put("/pgha-test/ready", "round " + round, 0); // the new client connected: etcd answers at once
                // After revision 1, long compacted: etcd ends the watch within milliseconds, so its callback comes
                // while the client moves. Closed only after a move that returned: a hung move holds the client, and
                // closing would hang too.
                Dcs.Watch watch = dcs.watchSecrets(1, () -> { }, e -> ended.countDown());
                List<String> next = round % 2 == 0 ? second : first;
                // A different start each round, over the milliseconds in which etcd's answer comes.
                long lag = TimeUnit.MICROSECONDS.toNanos(100L * (round % 40));
                CompletableFuture<Void> move = CompletableFuture.runAsync(() -> {
                    java.util.concurrent.locks.LockSupport.parkNanos(lag);
                    dcs.useEndpoints(next);
                });
                try {
                    move.get(20, TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    hung = true;
                    fail("round " + round + ": moving to " + next + " did not return within 20 s while the watch"
                            + " ended: the move and the watch's callback wait on each other");
                }
                assertTrue(ended.await(20, TimeUnit.SECONDS), "round " + round + ": the end of the watch that is"
                        + " current after the move was never reported");
                watch.close();
            }
        } finally {
            if (!hung) {
                dcs.close();
            }
            etcd.close();
        }
    }
}
