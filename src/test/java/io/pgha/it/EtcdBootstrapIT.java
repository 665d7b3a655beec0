package io.pgha.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.EtcdDcs;
import io.pgha.lab.LabPlan;
import io.pgha.model.Role;
import io.pgha.probe.EtcdHealth;
import io.pgha.probe.PrometheusText;
import io.pgha.supervise.Procs;
import io.pgha.tls.CertificateRequest;
import io.pgha.tls.ClusterCa;
import io.pgha.tls.IssuedCertificate;
import io.pgha.tls.TlsFiles;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Three real agents with etcd-member addresses on loopback bootstrap etcd themselves, then take a spec through
 * pghactl. One cluster for the whole class; the steps run in order and each leaves it healthy.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EtcdBootstrapIT {
    private static final Map<String, String> MEMBERS = new LinkedHashMap<>(Map.of());
    private static final int DRIFT_SECONDS = 10;

    static {
        MEMBERS.put("e1", "127.0.1.1");
        MEMBERS.put("e2", "127.0.1.2");
        MEMBERS.put("e3", "127.0.1.3");
    }

    /** Loopback hosts: etcd needs no namespaces, as long as no member also claims 127.0.0.1. */
    private static LabPlan plan() throws IOException {
        List<LabPlan.Host> hosts = MEMBERS.entrySet().stream()
                .map(e -> new LabPlan.Host(e.getKey(), e.getValue(), Role.ETCD)).toList();
        return new LabPlan("itest", "pghal", Optional.empty(), AgentCluster.tempBase(), hosts);
    }

    private AgentCluster cluster;
    private Path spec;
    private long appliedRevision;

    @BeforeAll
    void start() throws Exception {
        cluster = new AgentCluster(plan(), DRIFT_SECONDS);
        spec = cluster.base().resolve("cluster.yml");
        Files.writeString(spec, specText("max_connections: 100"));
        cluster.startAll();
    }

    @AfterAll
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String specText(String parameter) {
        return """
                cluster: itest
                hosts:
                  e1: {address: 127.0.1.1, role: etcd}
                  e2: {address: 127.0.1.2, role: etcd}
                  e3: {address: 127.0.1.3, role: etcd}
                  pg1: {address: 127.0.2.1, role: data}
                postgres:
                  parameters:
                    %s
                """.formatted(parameter);
    }

    @Test
    @Order(1)
    void agentsBootstrapAHealthyThreeMemberEtcd() throws Exception {
        cluster.awaitEtcdHealthy(Duration.ofSeconds(90));
        String etcdUid = new String(new ProcessBuilder("id", "-u", "etcd").start().getInputStream().readAllBytes()).strip();
        for (String host : MEMBERS.keySet()) {
            long pid = cluster.await("a running etcd recorded on " + host, Duration.ofSeconds(30),
                    () -> cluster.programPid(host, "etcd"), () -> "no live pid in its pid file");
            String status = Files.readString(Path.of("/proc", Long.toString(pid), "status"));
            assertTrue(status.lines().anyMatch(l -> l.matches("Uid:\\s+" + etcdUid + "\\s.*")),
                    "etcd on " + host + " runs as the etcd user: " + status);
            Path etcdYml = cluster.path(host, "etc/pgha-agent/etcd.yml");
            assertEquals("rw-r-----", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(etcdYml)));
        }
        try (EtcdDcs dcs = cluster.dcs()) {
            dcs.put("/itest-probe", "x", 0);
            assertEquals("x", dcs.get("/itest-probe").orElseThrow().value());
            dcs.delete("/itest-probe");
        }
        // Before any spec the etcd hosts' agents turn authentication on: a certificate of the cluster that names no
        // etcd user (one the cluster's CA issues for "nobody") may not write.
        Path pki = cluster.plan().pkiDir();
        ClusterCa ca = ClusterCa.load(Files.readString(pki.resolve("ca.crt")), Files.readString(pki.resolve("ca.key")),
                "the lab's CA", new SecureRandom());
        IssuedCertificate nobody = ca.issue(new CertificateRequest("nobody", List.of(), List.of(),
                Duration.ofHours(1)), Instant.now());
        Path dir = Files.createDirectories(cluster.base().resolve("nobody"));
        Files.writeString(dir.resolve("nobody.crt"), nobody.certificatePem());
        Files.writeString(dir.resolve("nobody.key"), nobody.keyPem());
        TlsFiles asNobody = new TlsFiles(pki.resolve("ca.crt"), dir.resolve("nobody.crt"), dir.resolve("nobody.key"));
        String refused = cluster.await("etcd refuses a write without an etcd user, before any spec",
                Duration.ofSeconds(60), () -> {
                    try (EtcdDcs d = new EtcdDcs("itest", cluster.clientUrls(), Duration.ofSeconds(3), asNobody)) {
                        d.put("/itest-anonymous", "x", 0);
                        return Optional.empty();
                    } catch (DcsException.Refused e) {
                        return Optional.of(e.getMessage());
                    } catch (IOException | DcsException e) {
                        return Optional.empty();
                    }
                }, () -> "the write went through: authentication is off");
        System.out.println("before any spec: " + refused);
        // The agent logs once etcd has answered its auth enable, so the refusal above can come first.
        String host = cluster.awaitLogLine(MEMBERS.keySet(), "etcd: authentication on before any spec",
                Duration.ofSeconds(30)).host();
        System.out.println("authentication turned on by " + host + "'s agent");
    }

    @Test
    @Order(2)
    void applyStoresTheSpecAndEveryHostReportsIt() throws Exception {
        AgentCluster.Outcome applied = cluster.ctl("apply", "-f", spec.toString());
        assertEquals(0, applied.exitCode(), applied.toString());
        appliedRevision = AgentCluster.revisionIn(applied.out());
        assertTrue(applied.out().contains("(daemon/pghactl get secret NAME"), "a hint runnable from the checkout: "
                + applied);
        awaitAllApplied(appliedRevision);

        AgentCluster.Outcome again = cluster.ctl("apply", "-f", spec.toString());
        assertEquals(0, again.exitCode(), again.toString());
        assertTrue(again.out().contains("unchanged"), again.toString());

        AgentCluster.Outcome json = cluster.ctl("status", "--json");
        assertEquals(0, json.exitCode(), json.toString());
        JsonNode array = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.out());
        assertEquals(3, array.size(), json.out());
        for (JsonNode host : array) {
            assertEquals(appliedRevision, host.path("spec_revision").asLong(), json.out());
            assertEquals("etcd", host.path("role").asText(), json.out());
        }
        AgentCluster.Outcome table = cluster.ctl("status");
        assertEquals(0, table.exitCode(), table.toString());
        for (String host : MEMBERS.keySet()) {
            assertTrue(table.out().lines().anyMatch(l -> l.startsWith(host + " ") && l.contains(" etcd ")
                    && l.contains(" applied ") && l.contains("etcd:running")), table.out());
        }
        assertTrue(table.out().lines().anyMatch(l -> l.startsWith("pg1 ") && l.contains("no status")), table.out());

        AgentCluster.Outcome secret = cluster.ctl("get", "secret", "superuser");
        assertEquals(0, secret.exitCode(), secret.toString());
        assertTrue(secret.out().strip().matches("[A-Za-z0-9_-]{43}"), "a 256-bit generated secret: " + secret.out());
        for (JsonNode status : cluster.statuses().values()) {
            assertTrue(!status.toString().contains(secret.out().strip()), "no secret in a status key");
        }
    }

    @Test
    @Order(3)
    void statusCarriesDiskAndFsyncFiguresForTheDataDirectorysDevice() throws Exception {
        Path dataDir = cluster.path("e1", "var/lib/pgha-agent/etcd");
        String store = Files.getFileStore(dataDir).name().replace("/dev/", "");
        JsonNode status = cluster.await("e1 reports disk rates", Duration.ofSeconds(90),
                () -> statusOf("e1").filter(s -> s.path("disk").path(0).has("busy_pct")),
                () -> statusOf("e1").map(s -> s.path("disk").toString()).orElse("none"));
        JsonNode disk = status.path("disk").get(0);
        assertEquals("etcd data", disk.path("name").asText());
        assertEquals(dataDir.toString(), disk.path("path").asText());
        assertTrue(store.startsWith(disk.path("device").asText()), "device " + disk + " holds " + store);
        assertTrue(disk.path("free_bytes").asLong() > 0, disk.toString());
        assertTrue(status.path("fsync").path(0).path("p99_ms").asDouble() > 0, status.path("fsync").toString());
        AgentCluster.Outcome table = cluster.ctl("status");
        assertTrue(table.out().contains("FSYNC-P99") && table.out().contains(" ms "), table.out());
    }

    @Test
    @Order(3)
    void metricsAreValidPrometheusTextAndHealthIsUp() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.1.1:8010/metrics"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, metrics.statusCode());
        Map<String, Double> samples = PrometheusText.parse(metrics.body());
        assertEquals(1.0, samples.get("pgha_process_running{process=\"etcd\"}"), metrics.body());
        assertEquals(1.0, samples.get("pgha_etcd_member_healthy{member=\"e2\"}"), metrics.body());
        assertTrue(samples.get("pgha_converge_runs_total{result=\"converged\"}") >= 1, metrics.body());
        assertTrue(samples.containsKey("pgha_fsync_latency_milliseconds{directory=\"etcd data\",quantile=\"0.99\"}"),
                metrics.body());
        assertTrue(samples.keySet().stream().anyMatch(k -> k.startsWith("pgha_disk_free_bytes{device=")), metrics.body());
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.1.1:8010/health"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode(), health.body());
        assertTrue(health.body().contains("\"healthy\":true"), health.body());
    }

    @Test
    @Order(3)
    void getSpecWritesTheStoredSpecToAFile() throws Exception {
        AgentCluster.Outcome get = cluster.ctl("get", "spec");
        assertEquals(0, get.exitCode(), get.toString());
        assertEquals(Files.readString(spec), get.out(), "stdout is the spec, byte for byte (get, edit, apply)");
        assertTrue(get.err().contains("# revision " + appliedRevision), get.toString());
    }

    @Test
    @Order(3)
    void everyCommandAnswersHelp() throws Exception {
        for (List<String> command : List.<List<String>>of(List.of(), List.of("validate"), List.of("apply"), List.of("get"),
                List.of("status"), List.of("plan"), List.of("switchover"), List.of("lab"), List.of("lab", "up"),
                List.of("lab", "down"))) {
            List<String> args = new java.util.ArrayList<>(command);
            args.add("--help");
            AgentCluster.Outcome help = AgentCluster.pghactl(cluster.base(), args);
            assertEquals(0, help.exitCode(), command + ": " + help);
            assertTrue(help.out().startsWith("Usage: pghactl" + (command.isEmpty() ? "" : " " + String.join(" ",
                    command))), command + ": " + help);
        }
    }

    @Test
    @Order(3)
    void aSpecIsValidatedWithoutAnAgentYml() throws Exception {
        Assumptions.assumeFalse(Files.exists(Path.of("/etc/pgha-agent/agent.yml")),
                "this machine has an agent.yml, which validate would cross-check against");
        Path workstation = Files.createTempDirectory(cluster.base(), "workstation");
        Path alone = workstation.resolve("cluster.yml");
        Files.writeString(alone, specText("max_connections: 100").replace("cluster: itest", "cluster: elsewhere"));
        AgentCluster.Outcome ok = AgentCluster.pghactl(workstation, List.of("validate", "-f", alone.toString()));
        assertEquals(0, ok.exitCode(), ok.toString());
        assertTrue(ok.out().contains("valid spec for cluster elsewhere"), ok.toString());
        Files.writeString(alone, specText("max_connections: 100").replace("role: data", "role: database"));
        AgentCluster.Outcome bad = AgentCluster.pghactl(workstation, List.of("validate", "-f", alone.toString()));
        assertEquals(2, bad.exitCode(), bad.toString());
        assertTrue(bad.err().contains("hosts.pg1.role: unknown role 'database'"), bad.toString());
        Files.writeString(alone, specText("max_connections: 100").replace("cluster: itest", "cluster: elsewhere"));
        AgentCluster.Outcome crossChecked = cluster.ctl("validate", "-f", alone.toString());
        assertEquals(2, crossChecked.exitCode(), "with agent.yml given, its cluster name counts: " + crossChecked);
        assertTrue(crossChecked.err().contains("expected 'itest'"), crossChecked.toString());
    }

    @Test
    @Order(3)
    void aMalformedHostStatusIsShownAsUnreadableAndTheOthersNormally() throws Exception {
        String key = "/pgha/itest/hosts/bogus/status";
        try (EtcdDcs dcs = cluster.dcs()) {
            dcs.put(key, "{\"host\": \"bogus\", \"converged\": \"\u001b[31mred\", oops", 0);
        }
        try {
            AgentCluster.Outcome table = cluster.ctl("status");
            assertEquals(0, table.exitCode(), table.toString());
            assertTrue(table.out().lines().anyMatch(l -> l.startsWith("bogus ") && l.contains("unreadable status")),
                    table.out());
            assertTrue(table.out().lines().anyMatch(l -> l.startsWith("e1 ") && l.contains(" applied ")),
                    table.out());
            assertTrue(table.out().chars().noneMatch(c -> c == 0x1b), "no raw escape reaches the terminal");
            assertTrue(table.out().lines().allMatch(l -> l.length() <= 120), "rows fit 120 columns:\n" + table.out());
            AgentCluster.Outcome json = cluster.ctl("status", "--json");
            assertEquals(0, json.exitCode(), json.toString());
        } finally {
            try (EtcdDcs dcs = cluster.dcs()) {
                dcs.delete(key);
            }
        }
    }

    @Test
    @Order(3)
    void planOnAConvergedHostChangesNothing() throws Exception {
        Path etcdYml = cluster.path("e2", "etc/pgha-agent/etcd.yml");
        FileTime before = Files.getLastModifiedTime(etcdYml);
        AgentCluster.Outcome plan = cluster.ctlOn("e2", "plan");
        assertEquals(0, plan.exitCode(), plan.toString());
        assertTrue(plan.out().contains("plan for host e2 (127.0.1.2), role etcd, spec revision " + appliedRevision),
                plan.out());
        assertTrue(plan.out().contains("0 of 12 resources would change"), plan.out());
        assertEquals(before, Files.getLastModifiedTime(etcdYml));
    }

    @Test
    @Order(4)
    void aBadSpecIsRefusedByApplyWithExitCode2() throws Exception {
        Path bad = cluster.base().resolve("bad.yml");
        Files.writeString(bad, specText("max_connections: 100").replace("role: data", "role: database"));
        AgentCluster.Outcome out = cluster.ctl("apply", "-f", bad.toString());
        assertEquals(2, out.exitCode(), out.toString());
        assertTrue(out.err().contains("hosts.pg1.role: unknown role 'database'"), out.toString());
        Files.writeString(bad, "cluster: itest\nhosts: [\n");
        AgentCluster.Outcome malformed = cluster.ctl("apply", "-f", bad.toString());
        assertEquals(2, malformed.exitCode(), malformed.toString());
        assertTrue(malformed.err().contains("malformed YAML"), malformed.toString());
        try (EtcdDcs dcs = cluster.dcs()) {
            assertEquals(appliedRevision, dcs.spec().orElseThrow().modRevision());
        }
    }

    @Test
    @Order(5)
    void aConcurrentChangeIsRefusedNotOverwritten() throws Exception {
        Path changed = cluster.base().resolve("changed.yml");
        Files.writeString(changed, specText("max_connections: 150"));
        AgentCluster.Outcome stale = cluster.ctl("apply", "-f", changed.toString(), "--expect-revision",
                Long.toString(appliedRevision - 1));
        assertEquals(1, stale.exitCode(), stale.toString());
        assertTrue(stale.err().contains("refused"), stale.toString());
        try (EtcdDcs dcs = cluster.dcs()) {
            assertEquals(appliedRevision, dcs.spec().orElseThrow().modRevision());
            assertThrows(DcsException.RevisionConflict.class, () -> dcs.applySpec("x", appliedRevision - 1),
                    "compare-and-swap against a stale revision writes nothing");
            assertEquals(Files.readString(spec), dcs.spec().orElseThrow().value());
        }
    }

    @Test
    @Order(6)
    void aKilledAgentIsReplacedAndTheNewOneAdoptsEtcd() throws Exception {
        long etcdPid = cluster.programPid("e2", "etcd").orElseThrow();
        long ticks = Procs.startTicks(etcdPid).orElseThrow();
        Process old = cluster.agent("e2");
        old.destroyForcibly();
        assertTrue(old.waitFor(10, TimeUnit.SECONDS));
        long newAgent = cluster.start("e2").pid();
        JsonNode status = cluster.await("a status from the new agent on e2", Duration.ofSeconds(60),
                () -> statusOf("e2").filter(s -> s.path("agent_pid").asLong() == newAgent
                        && s.path("converged").asBoolean()),
                () -> statusOf("e2").map(JsonNode::toString).orElse("none"));
        assertEquals(etcdPid, status.path("processes").get(0).path("pid").asLong(), status.toString());
        assertEquals(Optional.of(ticks), Procs.startTicks(etcdPid), "the same etcd process, not a new one");
        assertEquals(Optional.of(etcdPid), cluster.programPid("e2", "etcd"));
    }

    @Test
    @Order(7)
    void aBadSpecWrittenRawIsRefusedByEveryAgentAndChangesNoFile() throws Exception {
        Map<String, byte[]> contents = new LinkedHashMap<>();
        Map<String, FileTime> times = new LinkedHashMap<>();
        for (String host : MEMBERS.keySet()) {
            Path f = cluster.path(host, "etc/pgha-agent/etcd.yml");
            contents.put(host, Files.readAllBytes(f));
            times.put(host, Files.getLastModifiedTime(f));
        }
        long badRevision;
        try (EtcdDcs dcs = cluster.dcs()) {
            String bad = specText("max_connections: 100").replace("127.0.1.3, role: etcd", "127.0.1.3, role: wizard");
            badRevision = dcs.applySpec(bad, appliedRevision);
        }
        for (String host : MEMBERS.keySet()) {
            JsonNode status = cluster.await(host + " refuses spec rev " + badRevision, Duration.ofSeconds(30),
                    () -> statusOf(host).filter(s -> s.path("last_error").asText().contains("spec rev " + badRevision
                            + " refused")),
                    () -> statusOf(host).map(JsonNode::toString).orElse("none"));
            assertTrue(status.path("last_error").asText().contains("hosts.e3.role: unknown role 'wizard'"),
                    status.toString());
            assertEquals(appliedRevision, status.path("spec_revision").asLong(), "still on the last good spec");
        }
        // Let a drift pass run under the refused spec before comparing the files.
        Thread.sleep(TimeUnit.SECONDS.toMillis(DRIFT_SECONDS + 1));
        for (String host : MEMBERS.keySet()) {
            Path f = cluster.path(host, "etc/pgha-agent/etcd.yml");
            assertArrayEquals(contents.get(host), Files.readAllBytes(f), host);
            assertEquals(times.get(host), Files.getLastModifiedTime(f), host);
        }
        AgentCluster.Outcome restored = cluster.ctl("apply", "-f", spec.toString());
        assertEquals(0, restored.exitCode(), restored.toString());
        appliedRevision = AgentCluster.revisionIn(restored.out());
        awaitAllApplied(appliedRevision);
        for (String host : MEMBERS.keySet()) {
            assertEquals("", statusOf(host).orElseThrow().path("last_error").asText(), host);
        }
    }

    @Test
    @Order(8)
    void aDeletedConfigFileIsRepairedWithinTheDriftInterval() throws Exception {
        Path etcdYml = cluster.path("e3", "etc/pgha-agent/etcd.yml");
        byte[] content = Files.readAllBytes(etcdYml);
        long etcdPid = cluster.programPid("e3", "etcd").orElseThrow();
        Files.delete(etcdYml);
        long deleted = System.nanoTime();
        cluster.await("etcd.yml on e3 rewritten", Duration.ofSeconds(DRIFT_SECONDS + 10),
                () -> Files.exists(etcdYml) ? Optional.of(true) : Optional.empty(), () -> "still missing");
        long repairedMillis = (System.nanoTime() - deleted) / 1_000_000;
        System.out.println("etcd.yml repaired " + repairedMillis + " ms after deletion (drift interval "
                + DRIFT_SECONDS + " s)");
        assertArrayEquals(content, Files.readAllBytes(etcdYml));
        assertEquals(Optional.of(etcdPid), cluster.programPid("e3", "etcd"),
                "same content: etcd is not restarted for a rewrite");
        assertTrue(ProcessHandle.of(etcdPid).map(ProcessHandle::isAlive).orElse(false));
    }

    @Test
    @Order(9)
    void aKilledEtcdIsRestartedByItsAgent() throws Exception {
        long etcdPid = cluster.programPid("e1", "etcd").orElseThrow();
        // Frozen first, so that the agent's quick restart cannot win the race against our look at /health.
        assertEquals(0, new ProcessBuilder("kill", "-STOP", Long.toString(etcdPid)).start().waitFor());
        cluster.await("/health on e1 reports the frozen etcd", Duration.ofSeconds(30),
                () -> httpStatus("http://127.0.1.1:8010/health").filter(c -> c == 503), () -> "still 200");
        ProcessHandle.of(etcdPid).orElseThrow().destroyForcibly();
        long restarted = cluster.await("a new etcd pid on e1", Duration.ofSeconds(30),
                () -> cluster.programPid("e1", "etcd").filter(p -> p != etcdPid
                        && ProcessHandle.of(p).map(ProcessHandle::isAlive).orElse(false)),
                () -> cluster.programPid("e1", "etcd").toString());
        assertNotEquals(etcdPid, restarted);
        EtcdHealth health = cluster.etcdHealth();
        cluster.await("etcd on e1 healthy again", Duration.ofSeconds(30),
                () -> health.probe("https://127.0.1.1:2379").healthy() ? Optional.of(true) : Optional.empty(),
                () -> health.probe("https://127.0.1.1:2379").toString());
        JsonNode status = cluster.await("e1 reports the restart", Duration.ofSeconds(30),
                () -> statusOf("e1").filter(s -> s.path("processes").get(0).path("restarts").asInt() == 1),
                () -> statusOf("e1").map(JsonNode::toString).orElse("none"));
        assertEquals("exit code 137", status.path("processes").get(0).path("last_exit").asText());
        cluster.await("/health on e1 back to 200 after the repair", Duration.ofSeconds(30),
                () -> httpStatus("http://127.0.1.1:8010/health").filter(c -> c == 200), () -> "still 503");
    }

    @Test
    @Order(10)
    void anEtcdOutageIsVisibleOnHealthAndGoesAwayWithIt() throws Exception {
        List<Long> members = new java.util.ArrayList<>();
        for (String host : MEMBERS.keySet()) {
            members.add(cluster.programPid(host, "etcd").orElseThrow());
        }
        try {
            for (long pid : members) {
                assertEquals(0, new ProcessBuilder("kill", "-STOP", Long.toString(pid)).start().waitFor());
            }
            cluster.await("/health on e1 names the outage", Duration.ofSeconds(60),
                    () -> healthBody("http://127.0.1.1:8010/health").filter(b -> b.contains("etcd unreachable since")),
                    () -> healthBody("http://127.0.1.1:8010/health").orElse("no answer"));
        } finally {
            for (long pid : members) {
                new ProcessBuilder("kill", "-CONT", Long.toString(pid)).start().waitFor();
            }
        }
        cluster.await("/health on e1 back to 200 after the outage", Duration.ofSeconds(90),
                () -> httpStatus("http://127.0.1.1:8010/health").filter(c -> c == 200),
                () -> healthBody("http://127.0.1.1:8010/health").orElse("no answer"));
        assertTrue(Files.readString(cluster.base().resolve("e1/agent.log")).contains("etcd unreachable"),
                "logged at WARN when the outage began");
    }

    @Test
    @Order(11)
    void aBadAgentYmlStopsTheAgentWithExit2AndTheFieldNamed() throws Exception {
        Path bad = cluster.base().resolve("bad-agent.yml");
        Files.writeString(bad, "cluster: itest\netcd:\n  members: {e1: 127.0.1.1}\n  client_port: 99999\n");
        Process agent = new ProcessBuilder(AgentCluster.HOME.resolve("daemon/pgha-agent").toString(), "--config",
                bad.toString()).redirectErrorStream(true).start();
        agent.getOutputStream().close();
        String out = new String(agent.getInputStream().readAllBytes());
        assertTrue(agent.waitFor(60, TimeUnit.SECONDS), "the agent gave up at once");
        assertEquals(2, agent.exitValue(), out);
        assertTrue(out.contains("etcd.client_port"), "the field is named: " + out);
    }

    private static Optional<String> healthBody(String url) {
        try {
            return Optional.of(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body());
        } catch (IOException | InterruptedException e) {
            return Optional.empty();
        }
    }

    private static Optional<Integer> httpStatus(String url) {
        try {
            return Optional.of(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode());
        } catch (IOException | InterruptedException e) {
            return Optional.empty();
        }
    }

    private void awaitAllApplied(long revision) throws InterruptedException {
        cluster.await("every host converged at spec revision " + revision, Duration.ofSeconds(60), () -> {
            Map<String, JsonNode> all = statusesOrEmpty();
            boolean done = MEMBERS.keySet().stream().allMatch(h -> all.containsKey(h)
                    && all.get(h).path("spec_revision").asLong() == revision && all.get(h).path("converged").asBoolean());
            return done ? Optional.of(true) : Optional.empty();
        }, () -> statusesOrEmpty().toString());
    }

    private Map<String, JsonNode> statusesOrEmpty() {
        try {
            return cluster.statuses();
        } catch (IOException e) {
            return Map.of();
        }
    }

    private Optional<JsonNode> statusOf(String host) {
        return Optional.ofNullable(statusesOrEmpty().get(host));
    }
}
