package io.pgha.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgha.supervise.Procs;
import io.pgha.tls.ClusterFiles;
import io.pgha.supervise.Supervisor;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Agents for the hosts of a {@link LabPlan}, each in its namespace (or on loopback), recorded in
 * {@code <base>/lab.json} so that another process ({@code pghactl lab down}) can stop exactly them. Teardown stops
 * only what the lab started: its agents and the programs they recorded, by pid and start time, and whatever still
 * runs inside its own namespaces.
 */
public final class Lab {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long STOP_GRACE_SECONDS = 20;

    private final LabPlan plan;
    private final Path launcher;
    private final Optional<LabNetwork> network;

    public Lab(LabPlan plan, Path launcher) {
        this.plan = plan;
        this.launcher = launcher;
        this.network = plan.network().map(n -> new LabNetwork(plan));
    }

    public LabPlan plan() {
        return plan;
    }

    public Optional<LabNetwork> network() {
        return network;
    }

    public Path stateFile() {
        return plan.baseDir().resolve("lab.json");
    }

    public boolean exists() {
        return Files.exists(stateFile());
    }

    /** Wires and files for every host; no agent runs yet. Cleans up after itself if a step fails. */
    public void create(int driftSeconds) throws IOException {
        create(driftSeconds, 0);
    }

    /**
     * As {@link #create(int)}, with host certificates of {@code hostCertSeconds} (0: the default, 90 days): the lab's
     * CA and admin identity (from the same code as pghactl init) are copied into every host's directory, as an
     * operator copies them to /etc/pgha-agent/.
     */
    public void create(int driftSeconds, long hostCertSeconds) throws IOException {
        Files.createDirectories(plan.baseDir());
        // Programs run as their own users and must traverse to their directories under this one.
        Files.setPosixFilePermissions(plan.baseDir(), PosixFilePermissions.fromString("rwxr-xr-x"));
        writeState(JSON.createObjectNode());
        try {
            if (network.isPresent()) {
                network.get().up();
            }
            ClusterFiles.create(plan.pkiDir(), plan.cluster(), new SecureRandom(), Instant.now());
            for (LabPlan.Host host : plan.hosts()) {
                Files.createDirectories(plan.hostDir(host));
                Files.writeString(plan.agentYml(host), plan.agentYmlText(host, driftSeconds, hostCertSeconds));
                for (String name : List.of("ca.crt", "ca.key", "admin.crt", "admin.key")) {
                    Files.copy(plan.pkiDir().resolve(name), plan.hostDir(host).resolve(name),
                            java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        } catch (IOException | RuntimeException e) {
            destroy();
            throw e;
        }
    }

    /** Starts the host's agent in its own session (it outlives the caller) and records it; returns its process. */
    public Process start(LabPlan.Host host) throws IOException {
        List<String> argv = new ArrayList<>(List.of("/usr/bin/setsid"));
        network.ifPresent(n -> argv.addAll(n.inside(host)));
        argv.addAll(List.of(launcher.toString(), "--config", plan.agentYml(host).toString()));
        Process p = new ProcessBuilder(argv)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(plan.hostDir(host).resolve("agent.log").toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        ObjectNode state = readState();
        state.putObject(host.name()).put("pid", p.pid()).put("start_ticks", Procs.startTicks(p.pid()).orElse(0L));
        writeState(state);
        return p;
    }

    /** The recorded agent of a host, if it still runs. */
    public Optional<ProcessHandle> agent(LabPlan.Host host) {
        JsonNode entry = readState().path(host.name());
        long pid = entry.path("pid").asLong();
        return Procs.isSame(pid, entry.path("start_ticks").asLong()) ? ProcessHandle.of(pid) : Optional.empty();
    }

    /** The pid a host's agent recorded for a supervised program, if that program still runs. */
    public Optional<Long> programPid(LabPlan.Host host, String program) {
        return Supervisor.livePid(plan.root(host).resolve("run/pgha-agent/" + program + ".pid"));
    }

    /** Stops agents, then their programs, then anything left in the namespaces; removes wires and files. */
    public void destroy() throws IOException {
        List<ProcessHandle> agents = plan.hosts().stream().map(this::agent).flatMap(Optional::stream).toList();
        stop(agents);
        List<ProcessHandle> programs = new ArrayList<>();
        for (LabPlan.Host host : plan.hosts()) {
            Path run = plan.root(host).resolve("run/pgha-agent");
            if (Files.isDirectory(run)) {
                try (Stream<Path> files = Files.list(run)) {
                    files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".pid"))
                            .map(n -> programPid(host, n.substring(0, n.length() - 4)))
                            .flatMap(Optional::stream).map(ProcessHandle::of).flatMap(Optional::stream)
                            .forEach(programs::add);
                }
            }
        }
        stop(programs);
        if (network.isPresent()) {
            List<ProcessHandle> leftovers = new ArrayList<>();
            for (LabPlan.Host host : plan.hosts()) {
                network.get().pids(host).stream().map(ProcessHandle::of).flatMap(Optional::stream).forEach(leftovers::add);
            }
            leftovers.forEach(ProcessHandle::destroyForcibly);
            network.get().down();
        }
        if (Files.exists(plan.baseDir())) {
            try (Stream<Path> tree = Files.walk(plan.baseDir())) {
                for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static void stop(List<ProcessHandle> processes) {
        processes.forEach(ProcessHandle::destroy);
        for (ProcessHandle h : processes) {
            try {
                h.onExit().get(STOP_GRACE_SECONDS, TimeUnit.SECONDS);
            } catch (Exception timeoutOrInterrupt) {
                h.destroyForcibly();
            }
        }
    }

    private ObjectNode readState() {
        try {
            return Files.exists(stateFile()) ? (ObjectNode) JSON.readTree(Files.readString(stateFile()))
                    : JSON.createObjectNode();
        } catch (IOException | ClassCastException e) {
            return JSON.createObjectNode();
        }
    }

    private synchronized void writeState(ObjectNode state) throws IOException {
        Path tmp = stateFile().resolveSibling("lab.json.tmp");
        Files.writeString(tmp, state.toPrettyString() + "\n");
        Files.move(tmp, stateFile(), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}
