package io.pgha.it;

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
import java.util.concurrent.TimeUnit;

/**
 * One real etcd member on a loopback address of its own (nothing else binds there, so its ports are free without a
 * search), over TLS with client certificates as the agents use it, its files in {@code dir}: the cluster's files as
 * pghactl init makes them, and etcd's server certificate. Two client URLs (ports 2379 and 2381), for moves.
 */
final class TestEtcd implements AutoCloseable {
    private final Path dir;
    private final String address;
    private final String cluster;
    private final TlsFiles admin;
    private final Process etcd;

    TestEtcd(Path dir, String address, String cluster) throws IOException {
        this.dir = dir;
        this.address = address;
        this.cluster = cluster;
        this.admin = certificates();
        String peer = "http://" + address + ":2380";
        this.etcd = new ProcessBuilder("/usr/bin/etcd", "--name", "t1", "--data-dir", dir.resolve("data").toString(),
                "--listen-client-urls", clientUrl() + "," + secondClientUrl(),
                "--advertise-client-urls", clientUrl(),
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", "t1=" + peer,
                "--cert-file", dir.resolve("etcd.crt").toString(), "--key-file", dir.resolve("etcd.key").toString(),
                "--trusted-ca-file", admin.ca().toString(), "--client-cert-auth")
                .redirectErrorStream(true).redirectOutput(dir.resolve("etcd.log").toFile()).start();
    }

    String clientUrl() {
        return "https://" + address + ":2379";
    }

    String secondClientUrl() {
        return "https://" + address + ":2381";
    }

    /** The admin identity, as pghactl uses it. */
    TlsFiles admin() {
        return admin;
    }

    /** A client of this member as pghactl makes one, once the member takes writes (within 30 s). */
    EtcdDcs dcs() throws Exception {
        EtcdDcs dcs = new EtcdDcs(cluster, List.of(clientUrl()), Duration.ofSeconds(5), admin);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        DcsException last = null;
        while (System.nanoTime() < deadline && etcd.isAlive()) {
            try {
                dcs.put("/pgha-test/ready", "yes", 0);
                return dcs;
            } catch (DcsException e) {
                last = e;
                Thread.sleep(200);
            }
        }
        dcs.close();
        throw new AssertionError("etcd did not take a write within 30 s (alive: " + etcd.isAlive() + "; its log: "
                + dir.resolve("etcd.log") + "): " + last);
    }

    private TlsFiles certificates() throws IOException {
        SecureRandom random = new SecureRandom();
        Instant now = Instant.now();
        ClusterFiles.create(dir, cluster, random, now);
        ClusterCa ca = ClusterCa.load(Files.readString(dir.resolve("ca.crt")), Files.readString(dir.resolve("ca.key")),
                dir.toString(), random);
        IssuedCertificate server = ca.issue(new CertificateRequest("t1", List.of(AgentConfig.clusterDnsName(cluster)),
                List.of(address), Duration.ofDays(1)), now);
        ClusterFiles.write(dir.resolve("etcd.crt"), server.certificatePem(), "rw-r--r--");
        ClusterFiles.write(dir.resolve("etcd.key"), server.keyPem(), "rw-------");
        return new TlsFiles(dir.resolve("ca.crt"), dir.resolve("admin.crt"), dir.resolve("admin.key"));
    }

    /** Kills the member (only it: this process, by its pid) and waits for it to end. */
    @Override
    public void close() {
        etcd.destroyForcibly();
        try {
            etcd.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
