package io.pgha.it;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.EtcdDcs;
import io.pgha.model.AgentConfig;
import io.pgha.tls.CertificateRequest;
import io.pgha.tls.ClusterCa;
import io.pgha.tls.ClusterFiles;
import io.pgha.tls.IssuedCertificate;
import io.pgha.tls.TlsFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
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

    @Test
    void movingToNewEndpointsWhileAWatchEndsNeitherHangsNorLosesTheEnd() throws Exception {
        List<String> first = List.of("https://" + ADDRESS + ":2379");
        List<String> second = List.of("https://" + ADDRESS + ":2381");
        String peer = "http://" + ADDRESS + ":2380";
        TlsFiles tls = certificates();
        Process etcd = new ProcessBuilder("/usr/bin/etcd", "--name", "w1", "--data-dir", dir.resolve("data").toString(),
                "--listen-client-urls", first.get(0) + "," + second.get(0),
                "--advertise-client-urls", first.get(0),
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", "w1=" + peer,
                "--cert-file", dir.resolve("etcd.crt").toString(), "--key-file", dir.resolve("etcd.key").toString(),
                "--trusted-ca-file", tls.ca().toString(), "--client-cert-auth")
                .redirectErrorStream(true).redirectOutput(dir.resolve("etcd.log").toFile()).start();
        EtcdDcs dcs = new EtcdDcs(CLUSTER, first, Duration.ofSeconds(5), tls);
        boolean hung = false;
        try {
            awaitAnswer(dcs, etcd);
            for (int i = 0; i < 20; i++) {
                dcs.put("/pgha-test/key", "value " + i, 0);
            }
            dcs.admin().compact();
            for (int round = 0; round < ROUNDS; round++) {
                CountDownLatch ended = new CountDownLatch(1);
                dcs.put("/pgha-test/ready", "round " + round, 0); // the new client connected: etcd answers at once
                // From revision 1, long compacted: etcd ends the watch within milliseconds, so its callback comes
                // while the client moves. Closed only after a move that returned: a hung move holds the client, and
                // closing would hang too.
                Dcs.Watch watch = dcs.watchSecrets(0, () -> { }, e -> ended.countDown());
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
            etcd.destroyForcibly();
            etcd.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static void awaitAnswer(EtcdDcs dcs, Process etcd) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        DcsException last = null;
        while (System.nanoTime() < deadline && etcd.isAlive()) {
            try {
                dcs.put("/pgha-test/ready", "yes", 0);
                return;
            } catch (DcsException e) {
                last = e;
                Thread.sleep(200);
            }
        }
        throw new AssertionError("etcd did not take a write within 30 s (alive: " + etcd.isAlive() + "): " + last);
    }

    /** The cluster's files as pghactl init makes them (the CA, the admin identity), and etcd's server certificate. */
    private TlsFiles certificates() throws IOException {
        SecureRandom random = new SecureRandom();
        Instant now = Instant.now();
        ClusterFiles.create(dir, CLUSTER, random, now);
        ClusterCa ca = ClusterCa.load(Files.readString(dir.resolve("ca.crt")), Files.readString(dir.resolve("ca.key")),
                dir.toString(), random);
        IssuedCertificate server = ca.issue(new CertificateRequest("w1", List.of(AgentConfig.clusterDnsName(CLUSTER)),
                List.of(ADDRESS), Duration.ofDays(1)), now);
        ClusterFiles.write(dir.resolve("etcd.crt"), server.certificatePem(), "rw-r--r--");
        ClusterFiles.write(dir.resolve("etcd.key"), server.keyPem(), "rw-------");
        return new TlsFiles(dir.resolve("ca.crt"), dir.resolve("admin.crt"), dir.resolve("admin.key"));
    }
}
