package io.pgha.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.dcs.MemoryDcs;
import io.pgha.model.AgentConfig;
import io.pgha.model.AgentConfigTest;
import io.pgha.model.ClusterSpec;
import io.pgha.model.ClusterSpecParser;
import io.pgha.model.Health;
import io.pgha.model.HostIdentity;
import io.pgha.model.HostPaths;
import io.pgha.model.HostStatus;
import io.pgha.net.HttpText;
import io.pgha.report.AgentMetrics;
import io.pgha.roles.HostCertificate;
import io.pgha.tls.ClusterFiles;
import io.pgha.tls.TlsFiles;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentApiTest {
    private static HostStatus status(boolean converged, String error, List<String> problems,
                                     List<HostStatus.ProcessLine> processes) {
        return new HostStatus(HostStatus.SCHEMA, "pg1", "127.0.0.1", "data", 4, converged,
                converged ? HostStatus.APPLIED : HostStatus.PENDING, List.of(), List.of(), processes,
                Health.NONE, problems, List.of(), List.of(), List.of(), error, "test", 1, 0, 0, null, null);
    }

    /** A host without the CA key signs nothing. */
    static final CertificateDesk NO_DESK = new CertificateDesk(Optional.empty(), new MemoryDcs(), Optional::empty);

    private HostLogs agentLogs;

    @org.junit.jupiter.api.BeforeEach
    void agentLog(@TempDir Path logs) throws Exception {
        Files.writeString(logs.resolve("agent.log"), "a\nb\nc\n");
        agentLogs = new HostLogs(new HostPaths(logs), Optional.of(logs.resolve("agent.log")));
    }

    @Test
    void healthyOnlyWhenConvergedWithNothingWrong() {
        AtomicReference<HostStatus> latest = new AtomicReference<>();
        AgentApi api = new AgentApi(latest::get, new AgentMetrics(), agentLogs, NO_DESK);
        assertEquals(503, api.health().code(), "before the first status");
        assertTrue(api.health().body().contains("starting"));

        latest.set(status(true, "", List.of(), List.of(new HostStatus.ProcessLine("patroni", "running", 7, 0, ""))));
        assertEquals(200, api.health().code(), api.health().body());

        latest.set(status(false, "", List.of(), List.of()));
        assertEquals(503, api.health().code());
        assertTrue(api.health().body().contains("converging spec rev 4"), api.health().body());

        latest.set(status(true, "etcd unreachable since 2026-11-27T00:00:00Z (5 s): no answer", List.of("lag"),
                List.of(new HostStatus.ProcessLine("patroni", "backoff", 0, 2, "exit code 1"))));
        assertEquals(List.of("etcd unreachable since 2026-11-27T00:00:00Z (5 s): no answer", "lag",
                "patroni is backoff (exit code 1)"), AgentApi.reasons(latest.get()));
        assertEquals(503, api.health().code());
    }

    @Test
    void anAddressInUseIsRetriedNotFatal() throws Exception {
        AtomicReference<HostStatus> latest = new AtomicReference<>(status(true, "", List.of(), List.of()));
        int port;
        ApiEndpoint endpoint;
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            port = taken.getLocalPort();
            endpoint = new ApiEndpoint("127.0.0.1:" + port,
                    new AgentApi(latest::get, new AgentMetrics(), agentLogs, NO_DESK),
                    Optional.empty(), Duration.ZERO);
            assertFalse(endpoint.ensureBound(), "the port is taken");
        }
        try (endpoint) {
            assertTrue(endpoint.ensureBound(), "bound once the port is free");
            HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/health")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode(), health.body());
        }
    }

    /** One port: plain http and https alike for /health and /metrics, /status only with a cluster certificate. */
    @Test
    void statusNeedsAClusterCertificateHealthAndMetricsDoNot(@TempDir Path dir) throws Exception {
        SecureRandom random = new SecureRandom();
        Path pki = dir.resolve("pki");
        ClusterFiles.create(pki, "demo", random, Instant.now());
        AgentConfig agent = AgentConfig.parse(AgentConfigTest.MINIMAL, "agent.yml", pki);
        HostCertificate host = new HostCertificate(agent, new HostIdentity("h1", "127.0.0.1"),
                new HostPaths(dir.resolve("root")), random);
        host.ensure(Instant.now());
        AtomicReference<HostStatus> latest = new AtomicReference<>(status(true, "", List.of(), List.of()));
        TlsFiles admin = new TlsFiles(pki.resolve("ca.crt"), pki.resolve("admin.crt"), pki.resolve("admin.key"));
        SSLContext trustOnly = SSLContext.getInstance("TLS");
        trustOnly.init(null, new TrustManager[] {admin.trustManager()}, null);
        try (ApiServer server = new ApiServer(new InetSocketAddress("127.0.0.1", 0),
                new AgentApi(latest::get, new AgentMetrics(), agentLogs, NO_DESK),
                Optional.of(ApiServer.tls(host.files())))) {
            String at = "127.0.0.1:" + server.address().getPort();
            HttpText plain = new HttpText(Duration.ofSeconds(5));
            HttpText anonymous = new HttpText(Duration.ofSeconds(5), trustOnly);
            HttpText cluster = new HttpText(Duration.ofSeconds(5), admin.sslContext());
            assertEquals(200, plain.get("http://" + at + "/health").statusCode());
            assertEquals(200, plain.get("http://" + at + "/metrics").statusCode());
            assertEquals(200, anonymous.get("https://" + at + "/health").statusCode());
            HttpResponse<String> refused = plain.get("http://" + at + "/status");
            assertEquals(403, refused.statusCode());
            assertTrue(refused.body().contains("client certificate of the cluster CA"), refused.body());
            assertEquals(403, anonymous.get("https://" + at + "/status").statusCode());
            HttpResponse<String> status = cluster.get("https://" + at + "/status");
            assertEquals(200, status.statusCode(), status.body());
            assertEquals(latest.get(), HostStatus.TEXT.read(status.body()));

            // Logs may hold what users typed: pghactl's certificate only, not a host's, never anonymously.
            HttpText hostCertificate = new HttpText(Duration.ofSeconds(5), host.sslContext());
            assertEquals(403, plain.get("http://" + at + "/logs?program=agent").statusCode());
            assertEquals(403, anonymous.get("https://" + at + "/logs?program=agent").statusCode());
            HttpResponse<String> asHost = hostCertificate.get("https://" + at + "/logs?program=agent");
            assertEquals(403, asHost.statusCode(), asHost.body());
            assertTrue(asHost.body().contains("admin certificate"), asHost.body());
            HttpResponse<String> logs = cluster.get("https://" + at + "/logs?program=agent&lines=2");
            assertEquals(200, logs.statusCode(), logs.body());
            assertEquals("b\nc\n", logs.body());
            assertEquals(400, cluster.get("https://" + at + "/logs?program=agent&lines=many").statusCode());
            assertEquals(200, plain.get("http://" + at + "/health").statusCode(), "a log read holds nothing up");
        }
    }

    /**
     * A host without the CA key, with a join secret, gets its certificates from a host with it (over https, from its
     * own address), once; a renewal then needs its certificate, and a revoked host gets none.
     */
    @Test
    void aHostWithoutTheCaKeyEnrollsWithItsJoinSecretOnceAndRenewsWithItsCertificate(@TempDir Path dir)
            throws Exception {
        SecureRandom random = new SecureRandom();
        Path pki = dir.resolve("pki");
        ClusterFiles.create(pki, "demo", random, Instant.now());
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.3"))) {
            port = free.getLocalPort();
        }
        // The signer listens on 127.0.0.3; orders come from 127.0.0.1, the address the kernel gives a loopback client.
        String agentYml = "cluster: demo\netcd:\n  members:\n    etcd1: 127.0.0.3\napi:\n  listen: 127.0.0.3:"
                + port + "\n";
        AgentConfig signerConfig = AgentConfig.parse(agentYml, "agent.yml", pki);
        HostCertificate signerHost = new HostCertificate(signerConfig, new HostIdentity("etcd1", "127.0.0.3"),
                new HostPaths(dir.resolve("etcd1")), random);
        signerHost.ensure(Instant.now());
        ClusterSpec spec = new ClusterSpecParser(signerConfig).parse("""
                cluster: demo
                etcd: {allow_small_cluster: true}
                hosts:
                  etcd1: {address: 127.0.0.3, role: etcd}
                  pg9: {address: 127.0.0.2, role: data}
                """, "cluster.yml");
        MemoryDcs dcs = new MemoryDcs();
        // Held for 300 ms for a spec that allows it, then refused.
        CertificateDesk desk = new CertificateDesk(signerHost.signer(), dcs, () -> Optional.of(spec),
                Duration.ofMillis(300));
        Path pg9Etc = Files.createDirectories(dir.resolve("pg9-etc"));
        Files.copy(pki.resolve("ca.crt"), pg9Etc.resolve("ca.crt"));
        AgentConfig pg9Config = AgentConfig.parse(agentYml, "agent.yml", pg9Etc);
        // Every order here comes from 127.0.0.1: first a spec that has pg9 elsewhere, then one that has it there.
        io.pgha.tls.ClusterCa ca = io.pgha.tls.ClusterCa.load(Files.readString(pki.resolve("ca.crt")),
                Files.readString(pki.resolve("ca.key")), "pki", random);
        Files.writeString(pg9Etc.resolve("join.secret"), io.pgha.tls.JoinToken.issue(ca, "demo", "pg9", "127.0.0.1",
                Duration.ofHours(1), Instant.now(), random) + "\n");
        HostCertificate pg9 = new HostCertificate(pg9Config, new HostIdentity("pg9", "127.0.0.1"),
                new HostPaths(dir.resolve("pg9")), random);
        try (ApiServer server = new ApiServer(new InetSocketAddress("127.0.0.3", port),
                new AgentApi(() -> null, new AgentMetrics(), agentLogs, desk),
                Optional.of(ApiServer.tls(signerHost.files())))) {
            HostCertificate.NotSigned notListed = org.junit.jupiter.api.Assertions.assertThrows(
                    HostCertificate.NotSigned.class, () -> pg9.ensure(Instant.now()));
            assertTrue(notListed.getMessage().contains("pg9: the spec has it at 127.0.0.2, the order says 127.0.0.1"),
                    notListed.getMessage());
        }
        ClusterSpec respec = new ClusterSpecParser(signerConfig).parse("""
                cluster: demo
                etcd: {allow_small_cluster: true}
                hosts:
                  etcd1: {address: 127.0.0.3, role: etcd}
                  pg9: {address: 127.0.0.1, role: data}
                """, "cluster.yml");
        java.util.concurrent.atomic.AtomicReference<ClusterSpec> followed = new java.util.concurrent.atomic
                .AtomicReference<>(spec);
        CertificateDesk desk2 = new CertificateDesk(signerHost.signer(), dcs, () -> Optional.of(followed.get()));
        HostCertificate fresh = new HostCertificate(pg9Config, new HostIdentity("pg9", "127.0.0.1"),
                new HostPaths(dir.resolve("pg9")), random);
        String secret = Files.readString(pg9Etc.resolve("join.secret"));
        try (ApiServer server = new ApiServer(new InetSocketAddress("127.0.0.3", port),
                new AgentApi(() -> null, new AgentMetrics(), agentLogs, desk2),
                Optional.of(ApiServer.tls(signerHost.files())))) {
            // One order, held while the spec has pg9 elsewhere, answered with certificates once it has pg9 here.
            java.util.concurrent.CompletableFuture<Boolean> enrolled = java.util.concurrent.CompletableFuture
                    .supplyAsync(() -> {
                        try {
                            return fresh.ensure(Instant.now());
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
            long deadline = System.nanoTime() + Duration.ofSeconds(4).toNanos();
            while (desk2.held() == 0 && !enrolled.isDone() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(1, desk2.held(), "the order is held: " + (enrolled.isDone() ? enrolled : "not answered"));
            followed.set(respec);
            assertTrue(enrolled.get(10, java.util.concurrent.TimeUnit.SECONDS), "certificates signed");
            assertEquals(0, desk2.held());
            assertFalse(Files.exists(pg9Etc.resolve("join.secret")), "the used secret is deleted");
            assertFalse(Files.exists(pg9Etc.resolve("ca.key")));
            java.security.cert.X509Certificate agentCert = io.pgha.tls.Pem.readCertificate(
                    fresh.material().certificatePem(), "pg9's");
            assertEquals("CN=agent-pg9,O=pgha", agentCert.getSubjectX500Principal().getName());

            // The same secret again (another host that copied it): refused, it was used.
            HttpText anonymous = new HttpText(Duration.ofSeconds(5), new TlsFiles(pg9Config.caCertificate(),
                    pg9Etc.resolve("none"), pg9Etc.resolve("none")).anonymousSslContext());
            io.pgha.model.CertificateOrder order = new io.pgha.model.CertificateOrder("pg9", "127.0.0.1",
                    secret.strip(), java.util.Map.of("agent", "x"));
            HttpResponse<String> replay = anonymous.send(HttpRequest.newBuilder(URI.create("https://127.0.0.3:"
                    + port + "/certificates")).POST(body(order)).build());
            assertEquals(403, replay.statusCode(), replay.body());
            // Key checks come before the token is spent: a full order is needed to reach "used already".
            io.pgha.model.CertificateOrder full = new io.pgha.model.CertificateOrder("pg9", "127.0.0.1",
                    secret.strip(), keys(random));
            HttpResponse<String> again = anonymous.send(HttpRequest.newBuilder(URI.create("https://127.0.0.3:"
                    + port + "/certificates")).POST(body(full)).build());
            assertEquals(403, again.statusCode(), again.body());
            assertEquals("pg9: its join secret was used already", again.body().strip());

            // A renewal with its own certificate, without a secret; none once revoked.
            io.pgha.model.CertificateOrder renewal = new io.pgha.model.CertificateOrder("pg9", "127.0.0.1", "",
                    keys(random));
            HttpText asPg9 = new HttpText(Duration.ofSeconds(5), fresh.sslContext());
            HttpResponse<String> renewed = asPg9.send(HttpRequest.newBuilder(URI.create("https://127.0.0.3:" + port
                    + "/certificates")).POST(body(renewal)).build());
            assertEquals(200, renewed.statusCode(), renewed.body());
            HttpResponse<String> anonymousRenewal = anonymous.send(HttpRequest.newBuilder(URI.create(
                    "https://127.0.0.3:" + port + "/certificates")).POST(body(renewal)).build());
            assertEquals(403, anonymousRenewal.statusCode(), anonymousRenewal.body());
            dcs.revokeHost("pg9", new io.pgha.model.RevokedHosts.Revocation("", "test"));
            HttpResponse<String> revoked = asPg9.send(HttpRequest.newBuilder(URI.create("https://127.0.0.3:" + port
                    + "/certificates")).POST(body(renewal)).build());
            assertEquals(403, revoked.statusCode(), revoked.body());
            assertTrue(revoked.body().contains("revoked"), revoked.body());
            HttpResponse<String> plain = new HttpText(Duration.ofSeconds(5)).send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.3:" + port + "/certificates"))
                    .POST(body(renewal)).build());
            assertEquals(403, plain.statusCode(), "never over plain http");
        }
    }

    private static HttpRequest.BodyPublisher body(io.pgha.model.CertificateOrder order) {
        return HttpRequest.BodyPublishers.ofString(io.pgha.model.CertificateOrder.TEXT.write(order));
    }

    private static java.util.Map<String, String> keys(SecureRandom random) {
        java.util.Map<String, String> keys = new java.util.LinkedHashMap<>();
        for (String purpose : io.pgha.roles.HostCertificateRequests.PURPOSES) {
            keys.put(purpose, java.util.Base64.getEncoder().encodeToString(
                    io.pgha.tls.ClusterCa.newKeyPair(random).getPublic().getEncoded()));
        }
        return keys;
    }
}
