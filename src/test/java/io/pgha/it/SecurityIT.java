package io.pgha.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.EtcdDcs;
import io.pgha.dcs.Keys;
import io.pgha.lab.LabPlan;
import io.pgha.lab.LabWriter;
import io.pgha.lab.WriteLog;
import io.pgha.model.CertificateOrder;
import io.pgha.model.LeaderVerdict;
import io.pgha.model.Role;
import io.pgha.net.HttpText;
import io.pgha.roles.HostCertificateRequests;
import io.pgha.tls.ClusterCa;
import io.pgha.tls.JoinToken;
import io.pgha.tls.Pem;
import io.pgha.tls.TlsFiles;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The cluster's doors, tried from outside and from inside: without a certificate of the cluster CA nothing answers;
 * each identity can do what it needs and no more; a password rotation and a certificate renewal under writes lose
 * nothing and restart no Postgres. Host certificates here live 150 s, so they renew (after 100 s) during the test.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecurityIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long CERT_SECONDS = 150;

    private AgentCluster cluster;
    private LabPlan plan;
    private String password;
    private final Map<String, Long> postmasters = new LinkedHashMap<>();
    /** Every secret value read back so far, by name and when: a replaced one must stay unseen too. */
    private final Map<String, String> shown = new LinkedHashMap<>();

    @BeforeAll
    void start() throws Exception {
        plan = LabPlan.forTests(AgentCluster.tempBase(), 3, 1, AgentCluster.OS);
        cluster = new AgentCluster(plan, 10, CERT_SECONDS);
        cluster.startAll();
        cluster.awaitEtcdHealthy(Duration.ofSeconds(90));
        long revision = cluster.apply(plan.specText(DataClusterIT.TIMERS, false, Map.of()));
        cluster.await("every host applied revision " + revision, Duration.ofSeconds(240), () -> {
            Map<String, JsonNode> s = statuses();
            return s.size() == plan.hosts().size() && s.values().stream().allMatch(h -> h.path("spec_state").asText()
                    .equals("applied") && h.path("spec_revision").asLong() == revision) ? Optional.of(true)
                    : Optional.empty();
        }, () -> statuses().toString());
        password = cluster.ctl("get", "secret", "superuser").out().strip();
        try (Connection c = cluster.postgres("postgres", password, 5).connect(lb(), 5000);
             Statement s = c.createStatement()) {
            s.execute("create table drill (id bigint primary key, note text)");
        }
        for (String h : dataHosts()) {
            postmasters.put(h, cluster.postmasterPid(h));
        }
    }

    @AfterAll
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void withoutAClusterCertificateNothingAnswers() throws Exception {
        String etcd = plan.hostsWith(Role.ETCD).get(0).address();
        String pg1 = address(dataHosts().get(0));
        HttpText noCertificate = new HttpText(Duration.ofSeconds(3), trustOnly());
        assertThrows(IOException.class, () -> noCertificate.get("https://" + etcd + ":2379/v3/kv/range"),
                "etcd without a client certificate");
        assertThrows(IOException.class, () -> noCertificate.get("https://" + pg1 + ":8008/patroni"),
                "Patroni without a client certificate");
        HttpText plain = new HttpText(Duration.ofSeconds(3));
        assertThrows(IOException.class, () -> plain.get("http://" + etcd + ":2379/health"), "plain http to etcd");
        assertThrows(IOException.class, () -> plain.get("http://" + pg1 + ":8008/patroni"), "plain http to Patroni");
        // The agent's API: /health and /metrics for anyone, /status only with a certificate of the cluster.
        assertEquals(403, plain.get("http://" + pg1 + ":8010/status").statusCode(), "plain http to an agent's /status");
        assertEquals(403, noCertificate.get("https://" + pg1 + ":8010/status").statusCode(),
                "an agent's /status over https without a client certificate");
        assertEquals(200, plain.get("http://" + pg1 + ":8010/metrics").statusCode(), "an agent's /metrics");
        assertEquals(200, cluster.agentApi(pg1, "/status").statusCode(), "an agent's /status with the admin"
                + " certificate");

        HttpText admin = new HttpText(Duration.ofSeconds(3), plan.adminTls().sslContext());
        assertEquals(200, admin.get("https://" + pg1 + ":8008/patroni").statusCode(), "GET with the admin certificate");
        HttpResponse<String> restart = admin.send(HttpRequest.newBuilder(URI.create("https://" + pg1 + ":8008/restart"))
                .timeout(Duration.ofSeconds(5)).POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        assertEquals(401, restart.statusCode(), "an unsafe endpoint without the REST password: " + restart.body());

        Properties clearText = new Properties();
        clearText.setProperty("user", "postgres");
        clearText.setProperty("password", password);
        clearText.setProperty("sslmode", "disable");
        clearText.setProperty("connectTimeout", "5");
        SQLException refused = assertThrows(SQLException.class, () -> DriverManager.getConnection(
                "jdbc:postgresql://" + lb() + ":5000/postgres", clearText).close());
        assertTrue(refused.getMessage().contains("no encryption"), refused.getMessage());
    }

    @Test
    @Order(2)
    void eachIdentityMayDoWhatItNeedsAndNoMore() throws Exception {
        String lb = plan.hostsWith(Role.LB).get(0).name();
        String pg1 = dataHosts().get(0);
        try (EtcdDcs asLb = new EtcdDcs(plan.cluster(), plan.clientUrls(), Duration.ofSeconds(5), hostTls(lb))) {
            assertTrue(asLb.spec().isPresent(), "an lb host's agent reads the spec");
            assertThrows(DcsException.Refused.class, asLb::secrets, "an lb host's agent reads no password");
            assertThrows(DcsException.Refused.class, () -> asLb.applySpec("cluster: x\n", 0),
                    "only admin writes the spec");
            assertThrows(DcsException.Refused.class, () -> asLb.put(new Keys(plan.cluster()).status(pg1), "{}", 0),
                    "an agent writes its own status only");
            assertTrue(asLb.leaderKey().isPresent(), "an lb host's agent reads who leads (it observes the leader)");
            assertThrows(DcsException.Refused.class, () -> asLb.delete(new Keys(plan.cluster()).patroniLeader()),
                    "an lb host's agent may not end the leader's claim");
            assertThrows(DcsException.Refused.class, () -> asLb.putVerdict(new LeaderVerdict(pg1, pg1, false, 1,
                    "x", "y"), 0), "an agent writes its own verdict only");
        }
        try (EtcdDcs asData = new EtcdDcs(plan.cluster(), plan.clientUrls(), Duration.ofSeconds(5), hostTls(pg1))) {
            assertTrue(asData.secrets().isPresent(), "a data host's agent reads the secrets");
            assertTrue(asData.leaderKey().isPresent(), "a data host's agent reads the leader key (fast failover)");
            assertThrows(DcsException.Refused.class, () -> asData.get("/service/" + plan.cluster() + "/config"),
                    "Patroni's other keys are Patroni's");
        }
        AgentCluster.Outcome status = cluster.ctl("status");
        assertEquals(0, status.exitCode(), status.toString());
        assertTrue(status.out().contains("writes->"), status.out());

        assertNoSecretShown("before any rotation");
        assertEquals("-rw------- root", modeAndOwner(pg1, "var/lib/pgha-agent/tls/host.key"));
        assertEquals("-rw------- postgres", modeAndOwner(pg1, "etc/pgha-agent/tls/postgres.key"));
        assertTrue(modeAndOwner(pg1, "var/log/pgha-agent/patroni.log").startsWith("-rw-r----- "),
                "the server log is not world-readable");
    }

    /**
     * Only the etcd hosts hold the CA key; every other host got its certificates from them with its join secret. From
     * an lb host's disk (its certificate, ca.crt) nothing more is to be had: no certificate for admin, for another
     * host, for a name the spec does not list, and no join secret that works from elsewhere, expired or forged; each
     * refusal is logged by the etcd host that refused it.
     */
    @Test
    @Order(3)
    void noHostButTheEtcdHostsHoldsTheCaKeyAndAnLbHostGetsNoOtherIdentity() throws Exception {
        String lb = plan.hostsWith(Role.LB).get(0).name();
        for (LabPlan.Host h : plan.hosts()) {
            boolean etcd = h.roles().contains(Role.ETCD);
            // The lab's files for the host, and on a booted machine its /etc/pgha-agent, where they were installed.
            Path etc = plan.os().booted() ? cluster.path(h.name(), "etc/pgha-agent") : plan.hostDir(h);
            for (Path dir : List.of(plan.hostDir(h), etc)) {
                assertEquals(etcd, Files.exists(dir.resolve("ca.key")), h.name() + ": " + dir.resolve("ca.key"));
            }
            // The host's own copy (the lab keeps the one it installed a booted machine's from, as an operator would).
            assertFalse(Files.exists(etc.resolve("join.secret")), h.name() + ": a join secret left after use");
            if (!etcd) {
                assertTrue(cluster.agentLog(h.name()).contains("host certificates signed by an etcd host (none yet)"),
                        h.name() + " enrolled with its join secret");
            }
        }
        String etcd1 = plan.hostsWith(Role.ETCD).get(0).address();
        ClusterCa labCa = ClusterCa.load(Files.readString(plan.pkiDir().resolve("ca.crt")),
                Files.readString(plan.pkiDir().resolve("ca.key")), "the lab's CA", new SecureRandom());
        // 15 s: an order the spec does not allow yet (ghost's) is held for a spec that does, up to 5 s.
        HttpText asLb = new HttpText(Duration.ofSeconds(15), hostTls(lb).sslContext());
        Instant now = Instant.now();
        String lbAddress = address(lb);
        String forLb = JoinToken.issue(labCa, plan.cluster(), lb, lbAddress, Duration.ofHours(1), now,
                new SecureRandom());
        Map<CertificateOrder, String> refusals = new LinkedHashMap<>();
        refusals.put(order("admin", lbAddress, ""), "admin: a renewal comes with the host's own agent certificate"
                + " (agent-admin), found agent-" + lb);
        String pg1 = dataHosts().get(0);
        refusals.put(order(pg1, address(pg1), ""), pg1 + ": a renewal comes with the host's own agent certificate"
                + " (agent-" + pg1 + "), found agent-" + lb);
        refusals.put(order("ghost", "10.77.200.250", JoinToken.issue(labCa, plan.cluster(), "ghost", "10.77.200.250",
                Duration.ofHours(1), now, new SecureRandom())), "ghost: not a host of the spec");
        refusals.put(order(lb, lbAddress, forLb.substring(0, forLb.length() - 6) + "AAAAAA"),
                lb + ": a join secret the cluster CA did not sign");
        refusals.put(order(lb, lbAddress, JoinToken.issue(labCa, plan.cluster(), lb, lbAddress, Duration.ofHours(1),
                now.minus(Duration.ofHours(2)), new SecureRandom())), lb + ": a join secret that expired at ");
        refusals.put(order(lb, lbAddress, forLb), lb + ": the order came from ");
        for (Map.Entry<CertificateOrder, String> r : refusals.entrySet()) {
            HttpResponse<String> answer = asLb.send(HttpRequest.newBuilder(URI.create("https://" + etcd1
                    + ":8010/certificates")).timeout(Duration.ofSeconds(15))
                    .POST(HttpRequest.BodyPublishers.ofString(CertificateOrder.TEXT.write(r.getKey()))).build());
            assertEquals(403, answer.statusCode(), r.getKey() + ": " + answer.body());
            assertTrue(answer.body().startsWith(r.getValue()), r.getKey() + ": " + answer.body());
        }
        List<String> signer = List.of(plan.hostsWith(Role.ETCD).get(0).name());
        for (String reason : refusals.values()) {
            cluster.awaitLogLine(signer, " refused: " + reason, Duration.ofSeconds(10));
        }
    }

    /** An order for {@code host} with fresh keys; {@code secret} empty for a renewal. */
    private static CertificateOrder order(String host, String address, String secret) {
        Map<String, String> keys = new LinkedHashMap<>();
        for (String purpose : HostCertificateRequests.PURPOSES) {
            keys.put(purpose, Base64.getEncoder().encodeToString(ClusterCa.newKeyPair(new SecureRandom()).getPublic()
                    .getEncoded()));
        }
        return new CertificateOrder(host, address, secret, keys);
    }

    @Test
    @Order(4)
    void aRotationUnderWritesLosesNothingAndRestartsNothing() throws Exception {
        WriteLog log = new WriteLog();
        LabWriter writer = new LabWriter(lb(), 5000, password, 1, 50, TimeUnit.MINUTES.toMillis(6), log::add);
        Thread thread = new Thread(writer, "writer");
        thread.start();
        AgentCluster.Outcome rotated;
        AgentCluster.Outcome etcdLogin;
        String leader = cluster.leader();
        try {
            rotated = cluster.ctlWithin(Duration.ofMinutes(5), "secret", "rotate", "replication");
            assertEquals(0, rotated.exitCode(), rotated.toString());
            // Patroni's etcd login: it moves to its other etcd user, the old one goes, the leader keeps its key.
            etcdLogin = cluster.ctlWithin(Duration.ofMinutes(5), "secret", "rotate", "patroni_etcd");
            assertEquals(0, etcdLogin.exitCode(), etcdLogin.toString());
        } finally {
            writer.stop();
            thread.join(10_000);
        }
        System.out.println(rotated.out());
        System.out.println(etcdLogin.out());
        assertTrue(etcdLogin.out().contains("Patroni logs in to etcd as patroni-2") && etcdLogin.out().contains(
                "patroni deleted") && etcdLogin.out().contains("the leader " + leader + " kept its key"),
                etcdLogin.out());
        assertEquals(leader, cluster.leader(), "no failover");
        long generation;
        try (EtcdDcs dcs = cluster.dcs()) {
            generation = dcs.secrets().orElseThrow().modRevision();
        }
        Map<String, JsonNode> all = statuses();
        for (String h : dataHosts()) {
            assertEquals(generation, all.get(h).path("secrets_revision").asLong(), h + " reports the new generation");
            assertEquals(postmasters.get(h), cluster.postmasterPid(h), "no Postgres restart on " + h);
        }
        assertAllAckedPresent(log);
        awaitReplicasStreaming("after the rotation");
        assertNoSecretShown("after the rotation of replication");
    }

    /**
     * No secret, current or replaced, in what any host shows: the agent API's /health, /status and /metrics, the
     * agent's log, and every program's log (Patroni's holds Postgres's too, etcd's, HAProxy's).
     */
    private void assertNoSecretShown(String when) throws Exception {
        for (String name : List.of("superuser", "replication", "rewind", "monitor", "patroni_rest", "patroni_etcd")) {
            String value = cluster.ctl("get", "secret", name).out().strip();
            assertTrue(value.length() >= 20, name + " read back: " + value.length() + " characters");
            shown.put(name + " (" + when + ")", value);
        }
        HttpText plain = new HttpText(Duration.ofSeconds(3));
        for (LabPlan.Host h : plan.hosts()) {
            Map<String, String> seen = new LinkedHashMap<>();
            seen.put("/health", plain.get("http://" + h.address() + ":8010/health").body());
            seen.put("/metrics", plain.get("http://" + h.address() + ":8010/metrics").body());
            HttpResponse<String> status = cluster.agentApi(h.address(), "/status");
            assertEquals(200, status.statusCode(), h.name() + "'s /status");
            seen.put("/status", status.body());
            String agentLog = cluster.agentLog(h.name());
            assertTrue(agentLog.contains("pgha-agent ") && agentLog.contains(" starting on "),
                    h.name() + "'s agent log has its start line: " + agentLog.lines().limit(5).toList());
            seen.put("the agent's log", agentLog);
            Path logs = cluster.path(h.name(), "var/log/pgha-agent");
            try (var files = Files.list(logs)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    seen.put(f.getFileName().toString(), Files.readString(f, StandardCharsets.ISO_8859_1));
                }
            }
            assertTrue(seen.keySet().stream().anyMatch(k -> k.endsWith(".log")),
                    h.name() + " has program logs to read: " + seen.keySet());
            for (Map.Entry<String, String> secret : shown.entrySet()) {
                seen.forEach((where, text) -> assertFalse(text.contains(secret.getValue()),
                        secret.getKey() + " in " + where + " of " + h.name() + " " + when));
            }
        }
    }

    /**
     * Every host renews during this test, the lb host too: HAProxy reloads for its new certificate. New connections
     * through the writes port meanwhile all reach the primary (a reload used to start every server UP, so for a few
     * milliseconds some went to a replica and were cut by its first check).
     */
    @Test
    @Order(5)
    void certificatesRenewWithoutAPostgresRestart() throws Exception {
        String pg1 = dataHosts().get(0);
        Path haproxyLog = cluster.path(plan.hostsWith(Role.LB).get(0).name(), "var/log/pgha-agent/haproxy.log");
        long workers = newWorkers(haproxyLog);
        FreshConnections fresh = new FreshConnections();
        Thread thread = new Thread(fresh, "fresh-connections");
        thread.start();
        BigInteger renewed;
        try {
            BigInteger first = serial(cluster.path(pg1, "etc/pgha-agent/tls/postgres.crt"));
            renewed = cluster.await("pg1's certificate renewed", Duration.ofSeconds(CERT_SECONDS + 60), () -> {
                try {
                    BigInteger now = serial(cluster.path(pg1, "etc/pgha-agent/tls/postgres.crt"));
                    return now.equals(first) ? Optional.empty() : Optional.of(now);
                } catch (IOException e) {
                    return Optional.empty();
                }
            }, () -> "still serial " + first);
            cluster.await("HAProxy reloaded for the lb host's renewed certificate", Duration.ofSeconds(CERT_SECONDS
                    + 60), () -> newWorkers(haproxyLog) > workers ? Optional.of(true) : Optional.empty(),
                    () -> newWorkers(haproxyLog) + " HAProxy workers started, " + workers + " before");
            int reloaded = fresh.tried();
            cluster.await("100 more connections after the reload", Duration.ofSeconds(60),
                    () -> fresh.tried() >= reloaded + 100 ? Optional.of(true) : Optional.empty(),
                    () -> fresh.tried() + " tried");
        } finally {
            fresh.stop();
            thread.join(10_000);
        }
        System.out.println("new connections through the lb while certificates renewed: " + fresh.tried()
                + ", failed " + fresh.failures().size());
        assertEquals(List.of(), fresh.failures(), "new connections through the lb's writes port");
        cluster.await("Patroni's REST API presents the renewed certificate", Duration.ofSeconds(60),
                () -> presented(address(pg1), 8008).filter(renewed::equals), () -> "another serial");
        cluster.await("PostgreSQL presents the renewed certificate", Duration.ofSeconds(60),
                () -> presentedByPostgres(address(pg1)).filter(renewed::equals), () -> "another serial");
        for (String h : dataHosts()) {
            assertEquals(postmasters.get(h), cluster.postmasterPid(h), "no Postgres restart on " + h);
        }
        try (Connection c = cluster.postgres("postgres", password, 5).connect(lb(), 5000);
             Statement s = c.createStatement()) {
            s.execute("insert into drill values (999999999, 'after renewal')");
        }
        awaitReplicasStreaming("after the renewal");
        assertTrue(cluster.agentLog(pg1).contains("host certificates signed by an etcd host (renewal"),
                pg1 + " renewed through an etcd host, with its own certificate");
    }

    /**
     * The upgrade from the layout where every host held ca.key (README): a data host whose agent issued its own
     * certificates with the CA key has the key taken away and its agent restarted; it renews through an etcd host
     * with the certificate it issued itself, and PostgreSQL never restarts. The agent's files are alike on every
     * platform, so Debian 12 alone runs it.
     */
    @Test
    @Order(6)
    void aHostThatHeldTheCaKeyRenewsThroughTheEtcdHostsOnceItIsRemoved() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(plan.os().booted(), "the same agent files on every platform");
        String pg2 = dataHosts().get(1);
        Path caKey = plan.hostDir(plan.host(pg2)).resolve("ca.key");
        Files.copy(plan.pkiDir().resolve("ca.key"), caKey);
        Files.setPosixFilePermissions(caKey, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        // The old layout's certificates: without its own, the agent that holds the CA key issues them at once.
        int before = restartAgent(pg2, () -> {
            Files.delete(cluster.path(pg2, "var/lib/pgha-agent/tls/host.crt"));
            Files.delete(cluster.path(pg2, "var/lib/pgha-agent/tls/host.key"));
        });
        cluster.await(pg2 + " issues its certificates with the CA key", Duration.ofSeconds(60), () ->
                logSince(pg2, before).contains("host certificates issued (none yet)") ? Optional.of(true)
                        : Optional.empty(), () -> logSince(pg2, before));
        Files.delete(caKey);
        int after = restartAgent(pg2, () -> { });
        cluster.await(pg2 + " renews through an etcd host", Duration.ofSeconds(CERT_SECONDS), () ->
                logSince(pg2, after).contains("host certificates signed by an etcd host (renewal") ? Optional.of(true)
                        : Optional.empty(), () -> logSince(pg2, after));
        for (String h : dataHosts()) {
            assertEquals(postmasters.get(h), cluster.postmasterPid(h), "no Postgres restart on " + h);
        }
        awaitReplicasStreaming("after the CA key was removed from " + pg2);
    }

    /** What a test does while an agent is stopped. */
    private interface WhileStopped {
        void run() throws IOException;
    }

    /**
     * Stops a lab host's agent (its programs run on), does {@code meanwhile} and starts it again; the length of its
     * log before.
     */
    private int restartAgent(String host, WhileStopped meanwhile) throws IOException {
        int length = cluster.agentLog(host).length();
        ProcessHandle agent = cluster.lab().agent(plan.host(host)).orElseThrow();
        agent.destroy();
        agent.onExit().completeOnTimeout(agent, 30, TimeUnit.SECONDS).join();
        assertFalse(agent.isAlive(), host + "'s agent ended within 30 s of its SIGTERM");
        meanwhile.run();
        cluster.start(host);
        return length;
    }

    private String logSince(String host, int offset) {
        try {
            return cluster.agentLog(host).substring(offset);
        } catch (IOException e) {
            return "log unreadable: " + e.getMessage();
        }
    }

    /**
     * Last: a revoked host's certificate is refused by etcd at once, and no etcd host renews it; every data host's
     * Patroni (its unsafe endpoints) and PostgreSQL refuse the host's address once their agents have converged, before
     * asking for a password.
     */
    @Test
    @Order(7)
    void aRevokedHostIsRefusedByEtcdPatroniAndPostgresAndGetsNoNewCertificate() throws Exception {
        String lb = plan.hostsWith(Role.LB).get(0).name();
        try (EtcdDcs asLb = new EtcdDcs(plan.cluster(), plan.clientUrls(), Duration.ofSeconds(5), hostTls(lb))) {
            assertTrue(asLb.spec().isPresent(), "before: the lb host's agent reads the spec");
        }
        for (String data : dataHosts()) {
            assertEquals("401", unsafeRequestFrom(lb, data), "before: " + data + "'s Patroni asks " + lb
                    + " for the password");
            assertTrue(postgresAnswerTo(lb, data).contains("no password supplied"), "before: " + data
                    + "'s PostgreSQL asks " + lb + " for the password");
        }
        AgentCluster.Outcome revoked = cluster.ctl("host", "revoke", lb);
        assertEquals(0, revoked.exitCode(), revoked.toString());
        try (EtcdDcs asLb = new EtcdDcs(plan.cluster(), plan.clientUrls(), Duration.ofSeconds(5), hostTls(lb))) {
            assertThrows(DcsException.Refused.class, asLb::spec, "after: etcd refuses the revoked host");
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (String data : dataHosts()) {
            String patroni = unsafeRequestFrom(lb, data);
            String postgres = postgresAnswerTo(lb, data);
            while (!(patroni.equals("403") && postgres.contains("pg_hba.conf rejects connection"))) {
                assertTrue(System.nanoTime() < deadline, data + " still answers the revoked " + lb
                        + " 60 s after the revoke: Patroni " + patroni + ", PostgreSQL " + postgres + "\n"
                        + cluster.agentLog(data));
                TimeUnit.MILLISECONDS.sleep(500);
                patroni = unsafeRequestFrom(lb, data);
                postgres = postgresAnswerTo(lb, data);
            }
        }
        HttpText asLbHttp = new HttpText(Duration.ofSeconds(5), hostTls(lb).sslContext());
        String desk = "https://" + plan.hostsWith(Role.ETCD).get(0).address() + ":8010/certificates";
        HttpResponse<String> renewal = asLbHttp.send(HttpRequest.newBuilder(URI.create(desk))
                .timeout(Duration.ofSeconds(5)).POST(HttpRequest.BodyPublishers.ofString(CertificateOrder.TEXT.write(order(lb, address(lb), ""))))
                .build());
        assertEquals(403, renewal.statusCode(), renewal.body());
        assertTrue(renewal.body().contains("revoked"), renewal.body());
        AgentCluster.Outcome refused = cluster.ctl("host", "revoke", plan.hostsWith(Role.ETCD).get(0).name());
        assertEquals(2, refused.exitCode(), "an etcd member cannot be revoked: " + refused);
    }

    /** A new connection through the lb's writes port every 50 ms, each asked whether it reached the primary. */
    private final class FreshConnections implements Runnable {
        private final List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final java.util.concurrent.atomic.AtomicInteger tried = new java.util.concurrent.atomic.AtomicInteger();
        private volatile boolean running = true;

        @Override
        public void run() {
            long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(6);
            while (running && System.nanoTime() < end) {
                long started = System.currentTimeMillis();
                try (Connection c = cluster.postgres("postgres", password, 2).connect(lb(), 5000);
                     Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select pg_is_in_recovery()")) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        failures.add(java.time.Instant.ofEpochMilli(started) + " reached a replica");
                    }
                } catch (SQLException e) {
                    failures.add(java.time.Instant.ofEpochMilli(started) + " " + e.getMessage());
                }
                tried.incrementAndGet();
                long rest = 50 - (System.currentTimeMillis() - started);
                try {
                    Thread.sleep(Math.max(0, rest));
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        int tried() {
            return tried.get();
        }

        List<String> failures() {
            return List.copyOf(failures);
        }

        void stop() {
            running = false;
        }
    }

    /**
     * How many HAProxy workers its master started: one at start, one more per reload. HAProxy 2.6 and 3.0 log "New
     * worker (PID) forked", 3.2 "Initializing new worker (PID)".
     */
    private static long newWorkers(Path haproxyLog) {
        try {
            return Files.readAllLines(haproxyLog).stream()
                    .filter(l -> l.contains(": New worker (") || l.contains(": Initializing new worker (")).count();
        } catch (IOException e) {
            return 0;
        }
    }

    private void assertAllAckedPresent(WriteLog log) throws Exception {
        Set<Long> acked = log.acked();
        assertFalse(acked.isEmpty(), "the writer had writes acknowledged");
        Set<Long> present = new TreeSet<>();
        try (Connection c = cluster.postgres("postgres", password, 5).connect(lb(), 5000);
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select id from drill")) {
            while (rs.next()) {
                present.add(rs.getLong(1));
            }
        }
        Set<Long> lost = new TreeSet<>(acked);
        lost.removeAll(present);
        System.out.println("rotation under writes: acknowledged " + acked.size() + ", lost " + lost.size());
        assertEquals(Set.of(), lost, "acknowledged rows missing");
    }

    private void awaitReplicasStreaming(String when) throws InterruptedException {
        cluster.await("every replica streaming " + when, Duration.ofSeconds(60), () -> {
            Map<String, JsonNode> s = statuses();
            long streaming = dataHosts().stream().map(s::get).filter(j -> j != null && j.path("health")
                    .path("postgres").path("streaming").asBoolean()).count();
            return streaming == dataHosts().size() - 1 ? Optional.of(true) : Optional.empty();
        }, () -> statuses().toString());
    }

    /** The serial number of the certificate a TLS server presents (checked against the lab's CA). */
    private Optional<BigInteger> presented(String address, int port) {
        try {
            SSLContext context = plan.adminTls().sslContext();
            try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(address, port)) {
                socket.setSoTimeout(3000);
                socket.startHandshake();
                return Optional.of(((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber());
            }
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * The serial number of the certificate PostgreSQL presents: its protocol asks for TLS first (an SSLRequest
     * message, answered 'S'), then the handshake runs over the same connection.
     */
    private Optional<BigInteger> presentedByPostgres(String address) {
        try (java.net.Socket plain = new java.net.Socket()) {
            plain.connect(new java.net.InetSocketAddress(address, 5432), 3000);
            plain.setSoTimeout(3000);
            java.io.DataOutputStream out = new java.io.DataOutputStream(plain.getOutputStream());
            out.writeInt(8);
            out.writeInt(80877103);
            out.flush();
            if (plain.getInputStream().read() != 'S') {
                return Optional.empty();
            }
            SSLContext context = plan.adminTls().sslContext();
            try (SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(plain, address, 5432, false)) {
                tls.startHandshake();
                return Optional.of(((X509Certificate) tls.getSession().getPeerCertificates()[0]).getSerialNumber());
            }
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static BigInteger serial(Path certificate) throws IOException {
        return Pem.readCertificate(Files.readString(certificate), certificate.toString()).getSerialNumber();
    }

    private SSLContext trustOnly() throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {plan.adminTls().trustManager()}, null);
        return context;
    }

    /** Python's: an HTTPS request with a client certificate, its status printed; no password is sent. */
    private static final String UNSAFE_REQUEST = String.join("\n",
            "import http.client, ssl, sys",
            "c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)",
            "c.check_hostname = False",
            "c.load_verify_locations(sys.argv[1])",
            "c.load_cert_chain(sys.argv[2], sys.argv[3])",
            "h = http.client.HTTPSConnection(sys.argv[4], 8008, context=c, timeout=5)",
            "h.request('POST', '/reload', body='{}')",
            "print(h.getresponse().status)");

    /** The status a data host's Patroni answers {@code from}'s agent certificate for POST /reload, from its address. */
    private String unsafeRequestFrom(String from, String data) throws IOException {
        String ca = plan.os().booted() ? "/etc/pgha-agent/ca.crt" : plan.hostDir(plan.host(from)).resolve("ca.crt")
                .toString();
        return cluster.runOn(from, "python3", "-c", UNSAFE_REQUEST, ca,
                cluster.pathOnHost(from, "var/lib/pgha-agent/tls/host.crt"),
                cluster.pathOnHost(from, "var/lib/pgha-agent/tls/host.key"), address(data)).strip();
    }

    /** What a data host's PostgreSQL tells psql on {@code from}, over TLS and without a password. */
    private String postgresAnswerTo(String from, String data) throws IOException {
        return io.pgha.supervise.Command.run(cluster.on(from, "psql", "-w", "-X", "-c", "select 1",
                "host=" + address(data) + " port=5432 dbname=postgres user=postgres sslmode=require connect_timeout=5"),
                Duration.ofSeconds(30)).output();
    }

    private TlsFiles hostTls(String host) {
        Path dir = cluster.path(host, "var/lib/pgha-agent/tls");
        return new TlsFiles(plan.adminTls().ca(), dir.resolve("host.crt"), dir.resolve("host.key"));
    }

    /** A file's mode and owner as the host sees them (a booted machine has its own users). */
    private String modeAndOwner(String host, String relative) throws IOException {
        return cluster.runOn(host, "stat", "-c", "%A %U", cluster.pathOnHost(host, relative)).strip();
    }

    private Map<String, JsonNode> statuses() {
        try {
            Map<String, JsonNode> out = new LinkedHashMap<>();
            try (EtcdDcs dcs = cluster.dcs()) {
                for (String text : dcs.statusTexts().values()) {
                    JsonNode node = JSON.readTree(text);
                    out.put(node.path("host").asText(), node);
                }
            }
            return out;
        } catch (IOException | DcsException e) {
            return Map.of();
        }
    }

    private String address(String host) {
        return cluster.address(host);
    }

    private String lb() {
        return cluster.lbAddress();
    }

    private List<String> dataHosts() {
        return cluster.dataHosts();
    }
}
