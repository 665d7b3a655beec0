package io.pgha.lab;

import io.pgha.model.AgentConfig;
import io.pgha.supervise.Command;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Lab hosts that are booted Debian machines: each boots systemd (systemd-nspawn) in its network namespace, on a root of
 * its own (an overlay over the shared {@link LabImage}, kept in the host's directory, so a host killed and booted
 * again finds its disk as it left it). The agent is installed from the .deb and started by systemd, as README has an
 * operator do it. Commands run on a host through nsenter into its machine.
 */
final class BootedHosts {
    private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(5);
    /** Where the installed launcher keeps its class archives. */
    private static final String CLASS_ARCHIVES = "var/cache/pgha-agent";

    private final LabPlan plan;
    private final LabImage image;

    BootedHosts(LabPlan plan, LabImage image) {
        this.plan = plan;
        this.image = image;
    }

    private Path upper(LabPlan.Host host) {
        return plan.hostDir(host).resolve("upper");
    }

    private Path work(LabPlan.Host host) {
        return plan.hostDir(host).resolve("work");
    }

    /** The host's disk: its own layer over the image, mounted at the host's root. */
    void mount(LabPlan.Host host) throws IOException {
        Path root = plan.root(host);
        Files.createDirectories(upper(host));
        Files.createDirectories(work(host));
        Files.createDirectories(root);
        if (!isMounted(root)) {
            Command.check(List.of("mount", "-t", "overlay", "overlay", "-o", "lowerdir=" + image.dir() + ",upperdir="
                    + upper(host) + ",workdir=" + work(host), root.toString()), COMMAND_TIMEOUT);
        }
        Files.writeString(root.resolve("etc/hostname"), host.name() + "\n");
    }

    void unmount(LabPlan.Host host) throws IOException {
        Path root = plan.root(host);
        if (isMounted(root)) {
            Command.check(List.of("umount", root.toString()), COMMAND_TIMEOUT);
        }
    }

    private static boolean isMounted(Path dir) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mounts")).stream().map(l -> l.split(" "))
                .anyMatch(f -> f.length > 1 && f[1].equals(dir.toString()));
    }

    /**
     * Boots the host's machine in its namespace; returns systemd-nspawn once systemd inside has finished booting. Its
     * root may configure the namespace's network (CAP_NET_ADMIN), as a machine's root may its own: keepalived adds the
     * floating address.
     */
    Process boot(LabPlan.Host host) throws IOException, InterruptedException {
        List<String> argv = List.of("/usr/bin/setsid", "systemd-nspawn", "--directory=" + plan.root(host),
                "--network-namespace-path=/run/netns/" + plan.namespace(host), "--capability=CAP_NET_ADMIN",
                "--register=no", "--keep-unit",
                "--hostname=" + host.name(), "--console=passive", "--boot", "--", "systemd.firstboot=off");
        ProcessBuilder builder = new ProcessBuilder(argv);
        if (plan.os().unifiedCgroups()) {
            ensureUnifiedHierarchy();
            builder.environment().put("SYSTEMD_NSPAWN_UNIFIED_HIERARCHY", "1");
        }
        Process nspawn = builder.redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(plan.hostDir(host).resolve("console.log").toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        long deadline = System.nanoTime() + BOOT_TIMEOUT.toNanos();
        String state = "";
        while (System.nanoTime() < deadline && nspawn.isAlive()) {
            Optional<Long> init = init(nspawn.pid());
            if (init.isPresent()) {
                state = run(init.get(), List.of("systemctl", "is-system-running"), Duration.ofSeconds(10)).output()
                        .strip();
                if (state.equals("running") || state.equals("degraded")) {
                    return nspawn;
                }
            }
            Thread.sleep(250);
        }
        throw new IOException(host.name() + ": systemd did not finish booting within " + BOOT_TIMEOUT.toSeconds()
                + " s (state '" + state + "', nspawn " + (nspawn.isAlive() ? "running" : "exited") + "; see "
                + plan.hostDir(host).resolve("console.log") + ")");
    }

    /**
     * systemd 256 and later refuse cgroup v1, which this machine's systemd-nspawn gives a container on a host with
     * v1 controllers; with the v2 hierarchy mounted beside them (as systemd's "hybrid" layout has it at
     * /sys/fs/cgroup/unified), nspawn gives the container v2 instead.
     */
    private static void ensureUnifiedHierarchy() throws IOException {
        Path cgroup = Path.of("/sys/fs/cgroup");
        Path unified = cgroup.resolve("unified");
        if (isMounted(unified) || Files.readAllLines(Path.of("/proc/self/mounts")).stream()
                .anyMatch(l -> l.startsWith("cgroup2 " + cgroup + " "))) {
            return;
        }
        Files.createDirectories(unified);
        Command.check(List.of("mount", "-t", "cgroup2", "cgroup2", unified.toString()), COMMAND_TIMEOUT);
    }

    /** The machine's systemd (its pid 1), as this machine sees it: the one child of systemd-nspawn. */
    static Optional<Long> init(long nspawnPid) {
        return ProcessHandle.of(nspawnPid).flatMap(h -> h.children().findFirst()).map(ProcessHandle::pid);
    }

    /**
     * Installs the package as README has it (apt install ./pgha-agent_*.deb), then the cluster's files into
     * /etc/pgha-agent, then systemctl enable --now pgha-agent.
     */
    void installAgent(LabPlan.Host host, long init, Path deb) throws IOException {
        installPackage(host, init, deb);
        Path etc = plan.root(host).resolve("etc/pgha-agent");
        copy(plan.agentYml(host), etc.resolve("agent.yml"), "rw-r--r--");
        copy(plan.hostDir(host).resolve("ca.crt"), etc.resolve("ca.crt"), "rw-r--r--");
        // The CA key and admin identity on etcd hosts, a join secret on the others: whichever the lab gave the host.
        for (String secret : List.of("ca.key", "admin.crt", "admin.key", AgentConfig.JOIN_SECRET)) {
            if (Files.exists(plan.hostDir(host).resolve(secret))) {
                copy(plan.hostDir(host).resolve(secret), etc.resolve(secret), "rw-------");
            }
        }
        // --no-block: the unit is ready after the agent's first converge, which the lab waits for by status.
        mustIn(init, List.of("systemctl", "enable", "--now", "--no-block", "pgha-agent"));
    }

    /**
     * The launcher's class archives of one machine, put where another machine's launcher looks for them (one per
     * jar and JVM: the same on machines of one image and .deb; a JVM ignores one that does not match it).
     */
    void copyClassArchive(LabPlan.Host from, LabPlan.Host to) throws IOException {
        Path source = plan.root(from).resolve(CLASS_ARCHIVES);
        if (!Files.isDirectory(source) || Files.exists(plan.root(to).resolve("usr/bin/pgha-agent"))) {
            return;
        }
        Path target = plan.root(to).resolve(CLASS_ARCHIVES);
        Files.createDirectories(target);
        try (Stream<Path> files = Files.list(source)) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith("classes-")
                    && Files.isRegularFile(f)).toList()) {
                Path tmp = target.resolve(f.getFileName() + ".copy");
                Files.copy(f, tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.move(tmp, target.resolve(f.getFileName()), StandardCopyOption.ATOMIC_MOVE);
            }
        }
    }

    /** apt install of a .deb copied onto the host (an upgrade, too: only the agent restarts). */
    void installPackage(LabPlan.Host host, long init, Path deb) throws IOException {
        Path dir = plan.root(host).resolve("var/cache/pgha-lab");
        Files.createDirectories(dir);
        Path copy = dir.resolve(deb.getFileName());
        Files.copy(deb, copy, StandardCopyOption.REPLACE_EXISTING);
        mustIn(init, List.of("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q",
                "/var/cache/pgha-lab/" + deb.getFileName()));
    }

    private static void copy(Path from, Path to, String mode) throws IOException {
        Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(to, PosixFilePermissions.fromString(mode));
    }

    /** The argv prefix that runs a command on the machine: every namespace of its systemd. */
    static List<String> inside(long init) {
        return List.of("nsenter", "--target", Long.toString(init), "--mount", "--uts", "--ipc", "--net", "--pid",
                "--");
    }

    static Command.Outcome run(long init, List<String> command, Duration timeout) throws IOException {
        List<String> argv = new ArrayList<>(inside(init));
        argv.addAll(command);
        return Command.run(argv, timeout);
    }

    private static void mustIn(long init, List<String> command) throws IOException {
        List<String> argv = new ArrayList<>(inside(init));
        argv.addAll(command);
        Command.check(argv, COMMAND_TIMEOUT);
    }

    /**
     * The pid this machine gives a process that the booted host knows as {@code pid}: the process in the host's pid
     * namespace whose innermost pid (NSpid's last field) is {@code pid}.
     */
    static Optional<Long> outsidePid(long init, long pid) throws IOException {
        Path ns = Path.of("/proc", Long.toString(init), "ns/pid");
        String want;
        try {
            want = Files.readSymbolicLink(ns).toString();
        } catch (IOException e) {
            return Optional.empty();
        }
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(d -> d.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    if (!Files.readSymbolicLink(p.resolve("ns/pid")).toString().equals(want)) {
                        continue;
                    }
                    Optional<String> nspid = Files.readAllLines(p.resolve("status")).stream()
                            .filter(l -> l.startsWith("NSpid:")).findFirst();
                    if (nspid.isPresent()) {
                        String[] f = nspid.get().split("\\s+");
                        if (f[f.length - 1].equals(Long.toString(pid))) {
                            return Optional.of(Long.parseLong(p.getFileName().toString()));
                        }
                    }
                } catch (IOException gone) {
                    // exited meanwhile
                }
            }
        }
        return Optional.empty();
    }
}
