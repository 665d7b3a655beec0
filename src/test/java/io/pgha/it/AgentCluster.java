package io.pgha.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgha.store.EtcdStore;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Real agents on one machine, each host with its own address and paths.root, started through the real launchers
 * of a source checkout. Cleans up only what it started: its agents by process handle, and the programs they
 * started by the pids recorded under its own roots (checked against the recorded start time).
 */
final class AgentCluster implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Path HOME = Path.of(System.getProperty("pgha.home", ".")).toAbsolutePath();

    private final String cluster;
    private final Map<String, String> hosts;
    private final Map<String, String> etcdMembers;
    private final Path base;
    private final int driftSeconds;
    private final Map<String, Process> agents = new LinkedHashMap<>();

    /** {@code hosts}: name to address; {@code etcdMembers}: the static member list (a subset of hosts). */
    AgentCluster(String cluster, Map<String, String> hosts, Map<String, String> etcdMembers, int driftSeconds)
            throws IOException {
        this.cluster = cluster;
        this.hosts = new LinkedHashMap<>(hosts);
        this.etcdMembers = new LinkedHashMap<>(etcdMembers);
        this.driftSeconds = driftSeconds;
        this.base = Files.createTempDirectory("pgha-it-");
        // Programs run as their own users and must reach their directories under this one.
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (String host : hosts.keySet()) {
            Files.createDirectories(base.resolve(host));
            Files.writeString(agentYml(host), agentYmlText(host));
        }
    }

    Path agentYml(String host) {
        return base.resolve(host).resolve("agent.yml");
    }

    /** A path on a host, e.g. {@code path("e1", "etc/pgha-agent/etcd.yml")}. */
    Path path(String host, String relative) {
        return root(host).resolve(relative);
    }

    Path base() {
        return base;
    }

    List<String> clientUrls() {
        return etcdMembers.values().stream().map(a -> "http://" + a + ":2379").toList();
    }

    private Path root(String host) {
        return base.resolve(host).resolve("root");
    }

    private String agentYmlText(String host) {
        StringBuilder sb = new StringBuilder("cluster: " + cluster + "\netcd:\n  members:\n");
        etcdMembers.forEach((n, a) -> sb.append("    ").append(n).append(": ").append(a).append('\n'));
        sb.append("host:\n  name: ").append(host).append("\n  address: ").append(hosts.get(host)).append('\n');
        sb.append("paths:\n  root: ").append(root(host)).append('\n');
        sb.append("converge:\n  drift_seconds: ").append(driftSeconds).append('\n');
        return sb.toString();
    }

    Process start(String host) throws IOException {
        Path log = base.resolve(host).resolve("agent.log");
        ProcessBuilder pb = new ProcessBuilder(HOME.resolve("daemon/pgha-agent").toString(), "--config",
                agentYml(host).toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Process p = pb.start();
        agents.put(host, p);
        return p;
    }

    void startAll() throws IOException {
        for (String host : hosts.keySet()) {
            start(host);
        }
    }

    Process agent(String host) {
        return agents.get(host);
    }

    /** The pid a host's agent recorded for a supervised program, if its pid file exists. */
    Optional<Long> programPid(String host, String program) {
        return pidRecord(host, program).map(n -> n.path("pid").asLong());
    }

    private Optional<JsonNode> pidRecord(String host, String program) {
        try {
            Path file = path(host, "run/pgha-agent/" + program + ".pid");
            return Files.exists(file) ? Optional.of(JSON.readTree(Files.readString(file))) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    record Outcome(int exitCode, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    /** Runs pghactl (the launcher) with the first host's agent.yml. */
    Outcome ctl(String... args) throws IOException, InterruptedException {
        return ctlOn(hosts.keySet().iterator().next(), args);
    }

    /** Runs pghactl (the launcher) as if on {@code host}: with that host's agent.yml. */
    Outcome ctlOn(String host, String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of(HOME.resolve("daemon/pghactl").toString(), "--config",
                agentYml(host).toString()));
        argv.addAll(List.of(args));
        Path out = Files.createTempFile(base, "ctl", ".out");
        Path err = Files.createTempFile(base, "ctl", ".err");
        Process p = new ProcessBuilder(argv).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("pghactl " + String.join(" ", args) + " did not finish within 60 s");
        }
        Outcome o = new Outcome(p.exitValue(), Files.readString(out), Files.readString(err));
        Files.delete(out);
        Files.delete(err);
        return o;
    }

    /** Every host's status as {@code pghactl status --json} prints it, by host name. */
    Map<String, JsonNode> statuses() throws IOException, InterruptedException {
        Outcome o = ctl("status", "--json");
        if (o.exitCode() != 0) {
            throw new AssertionError("pghactl status --json failed: " + o);
        }
        Map<String, JsonNode> out = new LinkedHashMap<>();
        JSON.readTree(o.out()).forEach(n -> out.put(n.path("host").asText(), n));
        return out;
    }

    EtcdStore store() {
        return new EtcdStore(clientUrls(), Duration.ofSeconds(5));
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

    String logTails() {
        StringBuilder sb = new StringBuilder();
        for (String host : hosts.keySet()) {
            Path log = base.resolve(host).resolve("agent.log");
            try {
                List<String> lines = Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
                sb.append("--- ").append(host).append(" agent.log (last 15 lines)\n");
                lines.subList(Math.max(0, lines.size() - 15), lines.size()).forEach(l -> sb.append(l).append('\n'));
            } catch (IOException e) {
                sb.append("--- ").append(host).append(": ").append(e.getMessage()).append('\n');
            }
        }
        return sb.toString();
    }

    /** Stops the agents, then the programs they started (by recorded pid and start time), then removes the tree. */
    @Override
    public void close() throws IOException, InterruptedException {
        for (Process p : agents.values()) {
            p.destroy();
        }
        for (Process p : agents.values()) {
            if (!p.waitFor(15, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        }
        List<ProcessHandle> programs = new ArrayList<>();
        for (String host : hosts.keySet()) {
            Path run = path(host, "run/pgha-agent");
            if (!Files.isDirectory(run)) {
                continue;
            }
            try (Stream<Path> pidFiles = Files.list(run)) {
                for (Path f : pidFiles.filter(f -> f.toString().endsWith(".pid")).toList()) {
                    String program = f.getFileName().toString().replace(".pid", "");
                    pidRecord(host, program).filter(r -> startTicks(r.path("pid").asLong())
                                    .equals(Optional.of(r.path("start_ticks").asLong())))
                            .flatMap(r -> ProcessHandle.of(r.path("pid").asLong()))
                            .ifPresent(programs::add);
                }
            }
        }
        programs.forEach(ProcessHandle::destroy);
        for (ProcessHandle h : programs) {
            try {
                h.onExit().get(15, TimeUnit.SECONDS);
            } catch (Exception e) {
                h.destroyForcibly();
            }
        }
        try (Stream<Path> tree = Files.walk(base)) {
            for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    static Optional<Long> startTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return Optional.of(Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[19]));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
