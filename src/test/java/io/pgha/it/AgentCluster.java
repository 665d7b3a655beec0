package io.pgha.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.EtcdDcs;
import io.pgha.lab.Lab;
import io.pgha.lab.LabPlan;
import io.pgha.model.Role;
import io.pgha.net.HttpText;
import io.pgha.postgres.PatroniClient;
import io.pgha.postgres.PostgresProbe;
import io.pgha.probe.EtcdHealth;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Real agents on one machine, started through the real launcher of this checkout by the same {@link Lab} code that
 * {@code pghactl lab up} uses: in network namespaces when the plan has a network, else on loopback addresses; or,
 * for a booted plan, Debian 13 or 14 machines with this checkout's .deb installed. Teardown stops only what the lab
 * started and removes its files.
 */
final class AgentCluster implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Path HOME = Path.of(System.getProperty("pgha.home", ".")).toAbsolutePath();
    /** The platform the lab-wide tests run on: this machine (LOCAL), or booted machines (trixie, forky executions). */
    static final LabPlan.Os OS = LabPlan.Os.valueOf(System.getProperty("pgha.lab.os", LabPlan.Os.LOCAL.name()));

    private final LabPlan plan;
    private volatile String restPassword;
    private final Lab lab;
    private final Map<String, Process> agents = new LinkedHashMap<>();

    AgentCluster(LabPlan plan, int driftSeconds) throws IOException {
        this(plan, driftSeconds, 0);
    }

    /** With host certificates of {@code hostCertSeconds} (0: the default, 90 days). */
    AgentCluster(LabPlan plan, int driftSeconds, long hostCertSeconds) throws IOException {
        this.plan = plan;
        this.lab = new Lab(plan, plan.os().booted() ? deb(1) : HOME.resolve("daemon/pgha-agent"));
        lab.create(driftSeconds, hostCertSeconds);
    }

    /**
     * This checkout's .deb of a release (1, 2, ...), built by packaging/deb/build-deb and kept in target/it-debs
     * (build output, like the jar), apart from target/deb, which each build replaces. One built after this run's jar
     * is used again.
     */
    static synchronized Path deb(int release) throws IOException {
        Path dir = HOME.resolve("target/it-debs/release-" + release);
        Optional<Path> kept = debIn(dir);
        if (kept.isEmpty() || Files.getLastModifiedTime(kept.get()).compareTo(
                Files.getLastModifiedTime(HOME.resolve("target/pgha-agent.jar"))) < 0) {
            io.pgha.supervise.Command.Outcome out = io.pgha.supervise.Command.run(List.of(
                    HOME.resolve("packaging/deb/build-deb").toString(), Integer.toString(release)),
                    Map.of("HOME", "/root", "JAVA_HOME", System.getProperty("java.home")), Duration.ofMinutes(5));
            if (!out.ok()) {
                throw new IOException("packaging/deb/build-deb " + release + " failed: " + out.output());
            }
            Path built = Path.of(out.lastLine().strip());
            io.pgha.supervise.Command.check(List.of("rm", "-rf", dir.toString()), Duration.ofMinutes(1));
            Files.createDirectories(dir);
            Files.copy(built, dir.resolve(built.getFileName()));
        }
        return debIn(dir).orElseThrow(() -> new IOException("no .deb in " + dir));
    }

    private static Optional<Path> debIn(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.toString().endsWith(".deb")).findFirst();
        }
    }

    /** A temp directory for a lab's files (removed with the lab). */
    static Path tempBase() throws IOException {
        return Files.createTempDirectory("pgha-it-");
    }

    LabPlan plan() {
        return plan;
    }

    Lab lab() {
        return lab;
    }

    Path agentYml(String host) {
        return plan.agentYml(plan.host(host));
    }

    /** A path on a host as this machine reads it, e.g. {@code path("etcd1", "etc/pgha-agent/etcd.yml")}. */
    Path path(String host, String relative) {
        return plan.root(plan.host(host)).resolve(relative);
    }

    /** The same path as a command run on the host ({@link #on}) names it. */
    String pathOnHost(String host, String relative) {
        return plan.os().booted() ? "/" + relative : path(host, relative).toString();
    }

    /** The argv that runs {@code command} on a host: in its namespace here, or inside its machine. */
    List<String> on(String host, String... command) throws IOException {
        List<String> argv = new ArrayList<>(lab.commandOn(plan.host(host)));
        argv.addAll(List.of(command));
        return argv;
    }

    Path base() {
        return plan.baseDir();
    }

    List<String> clientUrls() {
        return plan.clientUrls();
    }

    String address(String host) {
        return plan.host(host).address();
    }

    /**
     * {@code path} of the agent API at {@code address} (port 8010), over https with the admin certificate, as
     * /status wants it; the API answers with etcd down too.
     */
    HttpResponse<String> agentApi(String address, String path) throws IOException {
        return new HttpText(Duration.ofSeconds(5), plan.adminTls().sslContext()).get("https://" + address + ":8010"
                + path);
    }

    /** The postmaster's pid as its data directory records it (in the host's own pid namespace when booted). */
    long postmasterPid(String host) throws IOException {
        return Long.parseLong(Files.readAllLines(path(host, plan.postgresDataDir()).resolve("postmaster.pid"))
                .get(0).strip());
    }

    /** The leader as the first of {@code hosts} whose Patroni answers lists it. */
    Optional<String> leaderAmong(List<String> hosts) {
        for (String h : hosts) {
            try {
                return patroni(address(h), Duration.ofSeconds(3)).leader().map(PatroniClient.ClusterMember::name);
            } catch (IOException e) {
                // ask the next one
            }
        }
        return Optional.empty();
    }

    /** The first lb host's address. */
    String lbAddress() {
        return plan.hostsWith(io.pgha.model.Role.LB).get(0).address();
    }

    List<String> dataHosts() {
        return plan.hostsWith(io.pgha.model.Role.DATA).stream().map(LabPlan.Host::name).toList();
    }

    Process start(String host) throws IOException {
        Process p = lab.start(plan.host(host));
        agents.put(host, p);
        return p;
    }

    void startAll() throws IOException {
        List<Process> started = lab.startAll(plan.hosts());
        for (int i = 0; i < started.size(); i++) {
            agents.put(plan.hosts().get(i).name(), started.get(i));
        }
    }

    Process agent(String host) {
        return agents.get(host);
    }

    /** The pid a host's agent recorded for a supervised program, while that program runs. */
    Optional<Long> programPid(String host, String program) {
        return lab.programPid(plan.host(host), program);
    }

    /**
     * kill -SIG of processes the test started (the lab's agents, or programs they supervise), by their pids as this
     * machine sees them (a booted machine has pids of its own inside).
     */
    static void signal(String signal, List<Long> pids) throws IOException {
        List<String> argv = new ArrayList<>(List.of("kill", "-" + signal));
        pids.forEach(p -> argv.add(Long.toString(p)));
        io.pgha.supervise.Command.check(argv, Duration.ofSeconds(10));
    }

    record Outcome(int exitCode, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    /** Runs pghactl (the launcher) with the first host's agent.yml. */
    Outcome ctl(String... args) throws IOException, InterruptedException {
        return ctlOn(plan.hosts().get(0).name(), args);
    }

    /** Runs pghactl (the launcher) as if on {@code host}: with that host's agent.yml. */
    Outcome ctlOn(String host, String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of("--config", agentYml(host).toString()));
        argv.addAll(List.of(args));
        return pghactl(base(), argv);
    }

    /** Runs pghactl with the first host's agent.yml, for a command that may take up to {@code limit}. */
    Outcome ctlWithin(Duration limit, String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of("--config", agentYml(plan.hosts().get(0).name()).toString()));
        argv.addAll(List.of(args));
        return pghactl(base(), argv, limit);
    }

    static Outcome pghactl(Path scratch, List<String> args) throws IOException, InterruptedException {
        return pghactl(scratch, args, Duration.ofSeconds(60));
    }

    /** Runs the launcher as a user would, stdout and stderr each to a file (so unflushed output would be lost). */
    static Outcome pghactl(Path scratch, List<String> args, Duration limit) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of(HOME.resolve("daemon/pghactl").toString()));
        argv.addAll(args);
        Path out = Files.createTempFile(scratch, "ctl", ".out");
        Path err = Files.createTempFile(scratch, "ctl", ".err");
        Process p = new ProcessBuilder(argv).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("pghactl " + String.join(" ", args) + " did not finish within "
                    + limit.toSeconds() + " s");
        }
        Outcome o = new Outcome(p.exitValue(), Files.readString(out), Files.readString(err));
        Files.delete(out);
        Files.delete(err);
        return o;
    }

    /**
     * Writes {@code specText} to the lab's cluster.yml and applies it with pghactl; fails unless pghactl accepts it.
     * Returns the spec revision it stored.
     */
    long apply(String specText) throws IOException, InterruptedException {
        Path file = base().resolve("cluster.yml");
        Files.writeString(file, specText);
        Outcome applied = ctl("apply", "-f", file.toString());
        assertEquals(0, applied.exitCode(), applied.toString());
        return revisionIn(applied.out());
    }

    /** The revision in pghactl apply's output ("... revision 12 ..."). */
    static long revisionIn(String applyOutput) {
        Matcher m = Pattern.compile("revision (\\d+)").matcher(applyOutput);
        assertTrue(m.find(), applyOutput);
        return Long.parseLong(m.group(1));
    }

    /** Waits until every etcd member answers /health as healthy (the agents bootstrap it themselves). */
    void awaitEtcdHealthy(Duration timeout) throws InterruptedException {
        EtcdHealth health = etcdHealth();
        for (String url : clientUrls()) {
            await("etcd at " + url + " healthy", timeout,
                    () -> health.probe(url).healthy() ? Optional.of(true) : Optional.empty(),
                    () -> health.probe(url).toString());
        }
    }

    /**
     * Waits until every host of the lab reports itself converged under {@code revision} or a later one; on time-out
     * fails with each host's converged flag, problems, last error and warnings.
     */
    void awaitConverged(long revision, Duration timeout) throws InterruptedException {
        await("every host converged at revision " + revision, timeout, () -> {
            Map<String, JsonNode> all = statusesQuietly();
            boolean done = all.size() == plan.hosts().size() && all.values().stream()
                    .allMatch(s -> s.path("converged").asBoolean() && s.path("spec_revision").asLong() >= revision);
            return done ? Optional.of(true) : Optional.empty();
        }, () -> {
            StringBuilder sb = new StringBuilder();
            statusesQuietly().forEach((h, s) -> sb.append('\n').append(h).append(' ')
                    .append(s.path("converged")).append(' ').append(s.path("problems")).append(' ')
                    .append(s.path("last_error")).append(' ').append(s.path("warnings")));
            return sb.toString();
        });
    }

    /** Every host's status key, by host name, read straight from etcd (a pghactl run costs a JVM start). */
    Map<String, JsonNode> statuses() throws IOException {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        try (EtcdDcs dcs = dcs()) {
            for (String text : dcs.statusTexts().values()) {
                JsonNode node = JSON.readTree(text);
                out.put(node.path("host").asText(), node);
            }
        } catch (DcsException e) {
            throw new IOException(e.getMessage(), e);
        }
        return out;
    }

    /** As {@link #statuses}, empty while etcd does not answer (for conditions polled until they hold). */
    Map<String, JsonNode> statusesQuietly() {
        try {
            return statuses();
        } catch (IOException e) {
            return Map.of();
        }
    }

    /** The cluster's DCS, as pghactl reaches it: with the admin certificate. */
    EtcdDcs dcs() throws IOException {
        return new EtcdDcs(plan.cluster(), clientUrls(), Duration.ofSeconds(5), plan.adminTls());
    }

    /** etcd's /health and /metrics, asked with the admin certificate (etcd answers nobody without one). */
    EtcdHealth etcdHealth() {
        try {
            return new EtcdHealth(Duration.ofSeconds(2), plan.adminTls().sslContext());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Postgres over TLS, the server checked against the lab's CA. */
    PostgresProbe postgres(String user, String password, int timeoutSeconds) {
        return new PostgresProbe(user, password, timeoutSeconds, plan.adminTls().ca());
    }

    /** A data host's Patroni, as pghactl asks it: the admin certificate and the REST password. */
    PatroniClient patroni(String address, Duration timeout) {
        try {
            if (restPassword == null) {
                restPassword = ctl("get", "secret", "patroni_rest").out().strip();
            }
            return new PatroniClient(address, 8008, timeout, plan.adminTls().sslContext(), restPassword);
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException("cannot make a Patroni client: " + e.getMessage(), e);
        }
    }

    /** The leader, as the first data host's Patroni that answers names it. */
    String leader() throws IOException {
        for (String h : dataHosts()) {
            try {
                Optional<PatroniClient.ClusterMember> l = patroni(address(h), Duration.ofSeconds(3)).leader();
                if (l.isPresent()) {
                    return l.get().name();
                }
            } catch (IOException e) {
                // ask the next one
            }
        }
        throw new AssertionError("no data host knows a leader");
    }

    /** The rows of table drill a writer saw acknowledged that the server at {@code address}:{@code port} lacks. */
    static java.util.Set<Long> lostRows(PostgresProbe pg, io.pgha.lab.WriteLog log, String address, int port)
            throws java.sql.SQLException {
        java.util.TreeSet<Long> acked = new java.util.TreeSet<>(log.acked());
        java.util.Set<Long> lost = new java.util.TreeSet<>(acked);
        if (acked.isEmpty()) {
            return lost;
        }
        try (java.sql.Connection c = pg.connect(address, port); java.sql.Statement s = c.createStatement();
             java.sql.ResultSet rs = s.executeQuery("select id from drill where id between " + acked.first()
                     + " and " + acked.last())) {
            while (rs.next()) {
                lost.remove(rs.getLong(1));
            }
        }
        return lost;
    }

    /**
     * The timeline a data host's Patroni runs on now. Its agent's status can still carry the timeline from before a
     * promotion (it is a report of the last probe), so a check that must see every change asks Patroni itself.
     */
    long timeline(String host) throws IOException {
        return patroni(address(host), Duration.ofSeconds(5)).member().timeline();
    }

    /**
     * Waits up to {@code timeout} for {@code condition}; on time-out fails with what it last saw and the tail of
     * every agent log.
     */
    <T> T await(String what, Duration timeout, Supplier<Optional<T>> condition, Supplier<String> seen)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<T> value = condition.get();
            if (value.isPresent()) {
                return value.get();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout.toSeconds() + " s: " + what + "\nlast seen: "
                        + seen.get() + "\n" + logTails());
            }
            Thread.sleep(200);
        }
    }

    /** A host's whole agent log: its file here, or its machine's journal. */
    String agentLog(String host) throws IOException {
        if (plan.os().booted()) {
            return runOn(host, "journalctl", "--unit", "pgha-agent", "--no-pager", "--output", "cat");
        }
        return Files.readString(plan.hostDir(plan.host(host)).resolve("agent.log"));
    }

    /** A line of a host's agent log. */
    record LogLine(String host, String line) {
    }

    /**
     * Waits up to {@code timeout} for {@code text} in the agent log of one of {@code hosts}; the last line holding it,
     * of the first host that has one: an agent logs what it did after etcd or a peer saw it done, and a booted
     * machine's journal takes a line a moment after the agent wrote it.
     */
    LogLine awaitLogLine(java.util.Collection<String> hosts, String text, Duration timeout)
            throws InterruptedException {
        return await("\"" + text + "\" in the agent log of one of " + hosts, timeout,
                () -> hosts.stream().flatMap(h -> {
                    try {
                        return agentLog(h).lines().filter(l -> l.contains(text)).reduce((a, b) -> b)
                                .map(l -> new LogLine(h, l)).stream();
                    } catch (IOException e) {
                        return java.util.stream.Stream.empty();
                    }
                }).findFirst(), () -> "not in their logs");
    }

    /**
     * The tail of every agent log, those of hosts that report no converged pass (or nothing) first and longer: a
     * failure's report is often cut, and theirs say why.
     */
    String logTails() {
        Set<String> unconverged = new HashSet<>();
        try {
            Map<String, JsonNode> statuses = statuses();
            plan.hosts().stream().map(LabPlan.Host::name).filter(h -> !statuses.containsKey(h)
                    || !statuses.get(h).path("converged").asBoolean()).forEach(unconverged::add);
        } catch (IOException e) {
            // etcd does not answer: every log as it comes
        }
        StringBuilder sb = new StringBuilder();
        List<LabPlan.Host> hosts = new ArrayList<>(plan.hosts());
        hosts.sort(Comparator.comparing(h -> !unconverged.contains(h.name())));
        for (LabPlan.Host h : hosts) {
            int lines = unconverged.contains(h.name()) ? 40 : 15;
            sb.append("--- ").append(h.name()).append(unconverged.contains(h.name()) ? " (not converged)" : "")
                    .append(" agent log (last ").append(lines).append(" lines)\n").append(lab.agentLog(h, lines));
            if (unconverged.contains(h.name()) && h.roles().contains(Role.DATA)) {
                sb.append("\n--- ").append(h.name()).append(" patroni.log (last 40 lines but \"no action\")\n")
                        .append(patroniLogTail(h.name(), 40)).append('\n');
            }
        }
        return sb.toString();
    }

    /** The last lines of a data host's patroni.log that say more than "no action", for a failure message. */
    String patroniLogTail(String host, int lines) {
        try {
            List<String> all = Files.readAllLines(path(host, "var/log/pgha-agent/patroni.log")).stream()
                    .filter(l -> !l.contains("INFO: no action.")).toList();
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(patroni.log unreadable: " + e.getMessage() + ")";
        }
    }

    /** Stops the agents, then the programs they started, then removes the lab. */
    @Override
    public void close() throws IOException {
        lab.destroy();
    }

    /** Runs a command on a host ({@link #on}); fails the test unless it exits 0. Returns its output. */
    String runOn(String host, String... command) throws IOException {
        io.pgha.supervise.Command.Outcome out = io.pgha.supervise.Command.run(on(host, command), Duration.ofMinutes(2));
        assertEquals(0, out.exitCode(), String.join(" ", command) + " on " + host + ":\n" + out.output());
        return out.output();
    }

    /**
     * How long a partition drill keeps the link down after the failover. Patroni 3.0.2 (Debian 12) puts the leader
     * key back unconditionally (etcd3 {@code _update_leader}): a former leader healed within moments of the failover
     * can retake it, so the drills there heal a ttl later. Patroni 4 puts it only if it still holds it or nobody does
     * (a transaction), so on Debian 13 the link heals at once.
     */
    Duration healDelayAfterFailover(int ttlSeconds) {
        return plan.os().booted() ? Duration.ZERO : Duration.ofSeconds(ttlSeconds);
    }

    /** A host's power loss: everything on it killed at once; {@link #start} boots or starts it again. */
    void kill(String host) throws IOException, InterruptedException {
        lab.kill(plan.host(host));
    }

}
