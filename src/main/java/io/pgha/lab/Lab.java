package io.pgha.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgha.agent.Agent;
import io.pgha.model.AgentConfig;
import io.pgha.model.Role;
import io.pgha.supervise.Procs;
import io.pgha.tls.ClusterCa;
import io.pgha.tls.ClusterFiles;
import io.pgha.tls.JoinToken;
import io.pgha.supervise.Supervisor;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * The hosts of a {@link LabPlan}, each in its namespace (or on loopback): agents started on this machine, or
 * booted Debian machines with the agent installed from the .deb ({@link LabPlan.Os}). What runs is recorded in
 * {@code <base>/lab.json} so that another process ({@code pghactl lab down}) can stop exactly it. Teardown stops
 * only what the lab started: its agents and the programs they recorded, by pid and start time, its machines, and
 * whatever still runs inside its own namespaces.
 */
public final class Lab {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long STOP_GRACE_SECONDS = 20;
    /** Booted machines started at once: the install of the .deb is CPU work, and the machine has 2 cores. */
    private static final int PARALLEL_BOOTS = 2;
    /** Long enough for any lab's hosts to start; each secret is good for one enrollment. */
    private static final java.time.Duration JOIN_VALIDITY = java.time.Duration.ofDays(7);

    private final LabPlan plan;
    private final Path agentSource;
    private final Optional<LabNetwork> network;
    private final Optional<BootedHosts> machines;
    private final Optional<LabImage> image;

    /**
     * {@code agentSource}: what runs the agent on a host: the launcher (daemon/pgha-agent) for a LOCAL lab, the
     * .deb for booted hosts.
     */
    public Lab(LabPlan plan, Path agentSource) {
        this.plan = plan;
        this.agentSource = agentSource;
        this.network = plan.network().map(n -> new LabNetwork(plan));
        this.image = plan.os().booted() ? Optional.of(new LabImage(LabPlan.IMAGES, plan.os())) : Optional.empty();
        this.machines = image.map(i -> new BootedHosts(plan, i));
    }

    /** The image booted hosts start from; none for hosts on this machine. */
    public Optional<LabImage> image() {
        return image;
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
     * CA certificate (from the same code as pghactl init) goes into every host's directory, as an operator copies it
     * to /etc/pgha-agent/; the CA key and the admin identity only to the etcd hosts', and each other host gets a join
     * secret (as from pghactl host add).
     */
    public void create(int driftSeconds, long hostCertSeconds) throws IOException {
        Files.createDirectories(plan.baseDir());
        // Programs run as their own users and must traverse to their directories under this one.
        Files.setPosixFilePermissions(plan.baseDir(), PosixFilePermissions.fromString("rwxr-xr-x"));
        ObjectNode state = JSON.createObjectNode().put("os", plan.os().name());
        // The whole lab's shape before any host starts: lab down after a failed lab up removes every host.
        state.putObject("shape").put("data", plan.hostsWith(Role.DATA).size()).put("lb", plan.hostsWith(Role.LB).size())
                .put("spares", (int) plan.hosts().stream().filter(h -> h.roles().isEmpty()).count());
        writeState(state);
        try {
            if (network.isPresent()) {
                network.get().up();
            }
            SecureRandom random = new SecureRandom();
            ClusterCa ca = ClusterFiles.create(plan.pkiDir(), plan.cluster(), random, Instant.now());
            if (image.isPresent()) {
                image.get().ensure(new java.io.PrintWriter(java.io.OutputStream.nullOutputStream()));
            }
            for (LabPlan.Host host : plan.hosts()) {
                Files.createDirectories(plan.hostDir(host));
                if (machines.isPresent()) {
                    machines.get().mount(host);
                }
                Files.writeString(plan.agentYml(host), plan.agentYmlText(host, driftSeconds, hostCertSeconds));
                boolean etcdHost = host.roles().contains(Role.ETCD);
                for (String name : etcdHost ? List.of("ca.crt", "ca.key", "admin.crt", "admin.key")
                        : List.of("ca.crt")) {
                    Files.copy(plan.pkiDir().resolve(name), plan.hostDir(host).resolve(name),
                            java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
                if (!etcdHost) {
                    // What the operator does with pghactl host add: the host's one-time join secret.
                    Files.writeString(Files.createFile(plan.hostDir(host).resolve(AgentConfig.JOIN_SECRET),
                            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))),
                            JoinToken.issue(ca, plan.cluster(), host.name(), host.address(), JOIN_VALIDITY,
                                    Instant.now(), random) + "\n");
                }
            }
        } catch (IOException | RuntimeException e) {
            destroy();
            throw e;
        }
    }

    /**
     * Starts the host's agent in its own session (it outlives the caller) and records it; returns its process. A
     * booted host is booted instead (returns systemd-nspawn), and the first boot installs the agent, whom systemd
     * starts on every later boot.
     */
    public Process start(LabPlan.Host host) throws IOException {
        if (machines.isPresent()) {
            return boot(host);
        }
        List<String> argv = new ArrayList<>(List.of("/usr/bin/setsid"));
        network.ifPresent(n -> argv.addAll(n.inside(host)));
        argv.addAll(List.of(agentSource.toString(), "--config", plan.agentYml(host).toString()));
        ProcessBuilder builder = new ProcessBuilder(argv);
        // pghactl logs HOST --program agent reads the file the agent's output goes to here (no journal).
        builder.environment().put(Agent.AGENT_LOG, plan.hostDir(host).resolve("agent.log").toString());
        Process p = builder
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(plan.hostDir(host).resolve("agent.log").toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        record(host, p.pid());
        return p;
    }

    /**
     * Starts the hosts, in plan order; booted machines {@link #PARALLEL_BOOTS} at a time after the first, whose
     * install makes the launcher's class archive (a training run: seconds of CPU) that the others, with the same
     * .deb and JVM, then find in place instead of training again. The first failure fails the whole.
     */
    public List<Process> startAll(List<LabPlan.Host> hosts) throws IOException {
        if (machines.isEmpty()) {
            List<Process> out = new ArrayList<>();
            for (LabPlan.Host host : hosts) {
                out.add(start(host));
            }
            return out;
        }
        List<Process> out = new ArrayList<>();
        if (hosts.isEmpty()) {
            return out;
        }
        out.add(start(hosts.get(0)));
        for (LabPlan.Host host : hosts.subList(1, hosts.size())) {
            machines.get().copyClassArchive(hosts.get(0), host);
        }
        ExecutorService pool = Executors.newFixedThreadPool(PARALLEL_BOOTS);
        try {
            List<Future<Process>> boots = new ArrayList<>();
            for (LabPlan.Host host : hosts.subList(1, hosts.size())) {
                boots.add(pool.submit(() -> start(host)));
            }
            for (Future<Process> boot : boots) {
                // Each boot has its own deadline (BootedHosts); this one only bounds the wait for all of them.
                out.add(boot.get(hosts.size() * 3L, TimeUnit.MINUTES));
            }
            return out;
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while booting the lab's machines", e);
        } catch (TimeoutException e) {
            throw new IOException("the lab's machines did not all boot in time", e);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Records a host's process (its agent, or its machine's systemd-nspawn) in the lab's state. */
    private synchronized void record(LabPlan.Host host, long pid) throws IOException {
        ObjectNode state = readState();
        state.putObject(host.name()).put("pid", pid).put("start_ticks", Procs.startTicks(pid).orElse(0L));
        writeState(state);
    }

    private Process boot(LabPlan.Host host) throws IOException {
        Process nspawn;
        try {
            nspawn = machines.get().boot(host);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while booting " + host.name(), e);
        }
        record(host, nspawn.pid());
        if (!Files.exists(plan.root(host).resolve("usr/bin/pgha-agent"))) {
            machines.get().installAgent(host, init(host).orElseThrow(), agentSource);
        }
        return nspawn;
    }

    /** Installs a .deb on a booted host, as an upgrade does (apt install ./pgha-agent_*.deb). */
    public void installPackage(LabPlan.Host host, Path deb) throws IOException {
        machines.orElseThrow(() -> new IllegalStateException("only booted hosts install packages"))
                .installPackage(host, init(host).orElseThrow(() -> new IOException(host.name() + " is not running")),
                        deb);
    }

    /** What the lab recorded as the host's process (its agent, or its machine's systemd-nspawn), if it still runs. */
    private Optional<ProcessHandle> recorded(LabPlan.Host host) {
        JsonNode entry = readState().path(host.name());
        long pid = entry.path("pid").asLong();
        return Procs.isSame(pid, entry.path("start_ticks").asLong()) ? ProcessHandle.of(pid) : Optional.empty();
    }

    /** A booted host's systemd, as this machine sees it. */
    private Optional<Long> init(LabPlan.Host host) {
        return recorded(host).flatMap(nspawn -> BootedHosts.init(nspawn.pid()));
    }

    /** A data host's postmaster as this machine sees its pid (postmaster.pid's first line, read inside the host). */
    public Optional<Long> postmasterPid(LabPlan.Host host) {
        String file = plan.postgresDataDir() + "/postmaster.pid";
        try {
            if (machines.isEmpty()) {
                return Optional.of(Long.parseLong(Files.readAllLines(plan.root(host).resolve(file)).get(0).strip()));
            }
            Optional<Long> init = init(host);
            if (init.isEmpty()) {
                return Optional.empty();
            }
            long inside = Long.parseLong(Files.readAllLines(Path.of("/proc", init.get().toString(), "root", file))
                    .get(0).strip());
            return BootedHosts.outsidePid(init.get(), inside);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The host's agent, if it runs (on a booted host: the main process of pgha-agent.service). */
    public Optional<ProcessHandle> agent(LabPlan.Host host) {
        if (machines.isEmpty()) {
            return recorded(host);
        }
        try {
            Optional<Long> init = init(host);
            if (init.isEmpty()) {
                return Optional.empty();
            }
            String main = BootedHosts.run(init.get(), List.of("systemctl", "show", "-p", "MainPID", "--value",
                    "pgha-agent"), java.time.Duration.ofSeconds(10)).output().strip();
            return main.matches("[1-9]\\d*") ? BootedHosts.outsidePid(init.get(), Long.parseLong(main))
                    .flatMap(ProcessHandle::of) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The pid (as this machine sees it) a host's agent recorded for a supervised program, if that program runs. */
    public Optional<Long> programPid(LabPlan.Host host, String program) {
        String pidFile = "run/pgha-agent/" + program + ".pid";
        if (machines.isEmpty()) {
            return Supervisor.livePid(plan.root(host).resolve(pidFile));
        }
        // /run is the machine's own tmpfs: seen through its systemd's root.
        Optional<Long> init = init(host);
        if (init.isEmpty()) {
            return Optional.empty();
        }
        Optional<Long> inside = Supervisor.recordedPid(Path.of("/proc", init.get().toString(), "root", pidFile));
        try {
            return inside.isEmpty() ? Optional.empty() : BootedHosts.outsidePid(init.get(), inside.get());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * The argv prefix that runs a command on a host: in its namespace on this machine (LOCAL), or inside its booted
     * machine.
     */
    public List<String> commandOn(LabPlan.Host host) throws IOException {
        if (machines.isEmpty()) {
            return network.orElseThrow(() -> new IOException("a lab without namespaces runs commands here"))
                    .inside(host);
        }
        return BootedHosts.inside(init(host).orElseThrow(() -> new IOException(host.name() + " is not running"
                + " (lab start " + host.name() + " boots it)")));
    }

    /**
     * Power loss: every process of the host killed at once (kill -9 of everything in its namespace); a booted
     * machine goes with its systemd. Returns once nothing of the host runs.
     */
    public void kill(LabPlan.Host host) throws IOException, InterruptedException {
        LabNetwork net = network.orElseThrow(() -> new IOException("only hosts in namespaces can be killed"));
        // A host that may hold the floating address goes silent at once, as a machine losing power does: without
        // that, its HAProxy and address would serve on while the kill below works through its processes.
        Optional<String> vip = host.has(io.pgha.model.Role.LB) ? plan.vip() : Optional.empty();
        if (vip.isPresent()) {
            net.cut(host);
        }
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
        List<Long> left = net.pids(host);
        // A booted host is gone once its systemd-nspawn has exited too (it may not boot again before).
        while (!left.isEmpty() || (machines.isPresent() && recorded(host).isPresent())) {
            left.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            if (System.nanoTime() > deadline) {
                throw new IOException(host.name() + ": processes still running 30 s after kill -9: " + left);
            }
            Thread.sleep(100);
            left = net.pids(host);
        }
        if (vip.isPresent()) {
            // Nothing of the host runs: it boots again without the address keepalived had added.
            net.dropAddress(host, vip.get());
            net.heal(host);
        }
    }

    /** Whether a host's network has {@code address} now, as its kernel says (a killed host's has none). */
    public boolean hasAddress(LabPlan.Host host, String address) throws IOException {
        return network.orElseThrow(() -> new IOException("a lab without namespaces has no addresses of its own"))
                .hasAddress(host, address);
    }

    /** The last lines of the host's agent log (on a booted host: its journal). */
    public String agentLog(LabPlan.Host host, int lines) {
        try {
            if (machines.isPresent()) {
                Optional<Long> init = init(host);
                return init.isEmpty() ? "(not running)" : BootedHosts.run(init.get(), List.of("journalctl", "-u",
                        "pgha-agent", "--no-pager", "-n", Integer.toString(lines)), java.time.Duration.ofSeconds(20))
                        .output();
            }
            Path log = plan.hostDir(host).resolve("agent.log");
            List<String> all = Files.exists(log) ? Files.readAllLines(log) : List.of();
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size())) + "\n";
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")\n";
        }
    }

    /** Stops agents, then their programs, then anything left in the namespaces; removes wires and files. */
    public void destroy() throws IOException {
        if (machines.isPresent()) {
            destroyMachines();
            return;
        }
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
        removeFiles();
    }

    /**
     * Machines go as in a power loss (their disks are thrown away next), their roots are unmounted, then wires and
     * files go; the image stays for the next lab.
     */
    private void destroyMachines() throws IOException {
        try {
            for (LabPlan.Host host : plan.hosts()) {
                kill(host);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping the lab's machines", e);
        }
        for (LabPlan.Host host : plan.hosts()) {
            machines.get().unmount(host);
        }
        network.get().down();
        removeFiles();
    }

    /** The lab's directory, except the images kept for later labs. */
    private void removeFiles() throws IOException {
        if (!Files.exists(plan.baseDir())) {
            return;
        }
        try (Stream<Path> children = Files.list(plan.baseDir())) {
            for (Path child : children.filter(c -> !c.equals(LabPlan.IMAGES)).toList()) {
                LabImage.delete(child);
            }
        }
        if (!LabPlan.IMAGES.startsWith(plan.baseDir())) {
            Files.deleteIfExists(plan.baseDir());
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
