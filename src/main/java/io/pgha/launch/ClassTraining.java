package io.pgha.launch;

import io.grpc.Server;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.netty.handler.ssl.ClientAuth;
import io.pgha.agent.ApiServer;
import io.pgha.cli.CtlMain;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.EtcdDcs;
import io.pgha.model.AgentConfig;
import io.pgha.probe.DiskSampler;
import io.pgha.tls.CertificateRequest;
import io.pgha.tls.ClusterFiles;
import io.pgha.tls.IssuedCertificate;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine;

/**
 * A run for the launcher's class-data archive (daemon/pgha-agent): it does, offline, what pghactl and the agent do
 * first — commands parsed, a cluster's files made, agent.yml and a spec read, an etcd client that finds nobody, the
 * HTTP endpoint, the disk counters — so that the classes they load are in the archive the JVM maps at the next
 * start. Touches only a temporary directory and loopback; leaves nothing behind.
 */
public final class ClassTraining {
    private static final String SPEC = """
            cluster: training
            etcd: {allow_small_cluster: true}
            hosts:
              etcd1: {address: 127.0.0.1, roles: [etcd, data, lb]}
            postgres:
              version: 15
              parameters: {work_mem: 4MB}
            """;

    private ClassTraining() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("pgha-class-training");
        try {
            train(dir);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        // Client threads still winding down must not keep the launcher, which waits for this run, waiting.
        System.exit(0);
    }

    private static void train(Path dir) throws Exception {
        StringWriter sink = new StringWriter();
        CommandLine ctl = CtlMain.commandLine().setOut(new PrintWriter(sink)).setErr(new PrintWriter(sink));
        ctl.getSubcommands().values().forEach(CommandLine::getUsageMessage);
        Path files = dir.resolve("cluster");
        ctl.execute("init", "--cluster", "training", "--member", "etcd1=127.0.0.1", "--dir", files.toString());
        Path spec = dir.resolve("cluster.yml");
        Files.writeString(spec, SPEC);
        Path agentYml = files.resolve("agent.yml");
        ctl.execute("--config", agentYml.toString(), "validate", "-f", spec.toString());
        AgentConfig agent = AgentConfig.load(agentYml);
        // Port 9 (discard) has no listener: the client gets as far as its connection attempt.
        try (EtcdDcs dcs = new EtcdDcs(agent.cluster(), List.of("https://127.0.0.1:9"), Duration.ofMillis(300),
                CtlMain.adminTls(agent))) {
            dcs.spec();
        } catch (DcsException | IOException e) {
            // expected: nobody listens
        }
        callOverTls(files, agent);
        try (ApiServer api = new ApiServer(new InetSocketAddress("127.0.0.1", 0), new QuietEndpoints(),
                Optional.empty())) {
            HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + api.address().getPort() + "/health")).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            // the classes are loaded either way
        }
        new DiskSampler().sample(Map.of("training", dir));
    }

    /**
     * pghactl's client (on event loops of its own) calls a gRPC server on loopback that has the cluster's certificate
     * and no services: the TLS handshake with the client certificate, HTTP/2 and a call's answer are the classes a
     * command and an agent load at their first etcd call (about 700 of them, 0.1 s of a command's start when not in the
     * archive). The call is refused as unimplemented.
     */
    private static void callOverTls(Path files, AgentConfig agent) throws IOException, InterruptedException {
        IssuedCertificate server = ClusterFiles.loadCa(files, new SecureRandom()).issue(new CertificateRequest(
                "training", List.of(AgentConfig.clusterDnsName(agent.cluster())), List.of("127.0.0.1"),
                Duration.ofHours(1)), Instant.now());
        Path crt = files.resolve("server.crt");
        Path key = files.resolve("server.key");
        ClusterFiles.write(crt, server.certificatePem(), "rw-------");
        ClusterFiles.write(key, server.keyPem(), "rw-------");
        Server grpc = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .sslContext(GrpcSslContexts.forServer(crt.toFile(), key.toFile())
                        .trustManager(files.resolve("ca.crt").toFile()).clientAuth(ClientAuth.REQUIRE).build())
                .build().start();
        try (EtcdDcs dcs = EtcdDcs.forCommand(agent.cluster(), List.of("https://127.0.0.1:" + grpc.getPort()),
                Duration.ofSeconds(5), CtlMain.adminTls(agent))) {
            dcs.spec();
        } catch (DcsException e) {
            // expected: the server has no services
        } finally {
            grpc.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
        }
    }

    private static final class QuietEndpoints implements ApiServer.Endpoints {
        private static final ApiServer.Response OK = new ApiServer.Response(200, "text/plain", "ok\n");

        @Override
        public ApiServer.Response health() {
            return OK;
        }

        @Override
        public ApiServer.Response status() {
            return OK;
        }

        @Override
        public ApiServer.Response metrics() {
            return OK;
        }

        @Override
        public ApiServer.Response logs(String program, int lines) {
            return OK;
        }

        @Override
        public CompletableFuture<ApiServer.Response> certificates(String order, String peerUser, String peer) {
            return CompletableFuture.completedFuture(OK);
        }
    }
}
