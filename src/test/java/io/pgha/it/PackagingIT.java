package io.pgha.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.supervise.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The RPM as a user meets it: built by packaging/rpm/build-rpm, inspected with rpm -qp, installed into a scratch
 * root, and run under a real systemd booted by systemd-nspawn over this machine's /usr (throw-away overlay). The .deb
 * (packaging/deb/build-deb) is held to the same files, unpacked into a scratch root; DataClusterIT installs and
 * upgrades it on booted Debian 13 machines.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PackagingIT {
    private static final Duration TIMEOUT = Duration.ofMinutes(3);
    private Path work;
    private Path rpm1;
    private Path rpm2;
    private Path deb;
    private String version;
    private Process nspawn;
    private long containerPid;

    @BeforeAll
    void build() throws Exception {
        work = Files.createTempDirectory("pgha-rpm-");
        Files.setPosixFilePermissions(work, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        rpm1 = buildRpm("1");
        rpm2 = buildRpm("2");
        version = rpm1.getFileName().toString().replaceAll("pgha-agent-(.*)-1\\.noarch\\.rpm", "$1");
        deb = AgentCluster.deb(1);
    }

    private Path buildRpm(String release) throws Exception {
        Command.Outcome out = run(List.of(AgentCluster.HOME.resolve("packaging/rpm/build-rpm").toString(), release));
        assertEquals(0, out.exitCode(), out.output());
        Path built = Path.of(out.lastLine().strip());
        Path kept = work.resolve("rpms").resolve(built.getFileName());
        Files.createDirectories(kept.getParent());
        Files.copy(built, kept);
        return kept;
    }

    @AfterAll
    void cleanUp() throws Exception {
        if (nspawn != null) {
            nspawn.destroy();
            if (!nspawn.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                nspawn.destroyForcibly();
                nspawn.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            }
        }
        if (work != null) {
            try (Stream<Path> tree = Files.walk(work)) {
                for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Test
    @Order(1)
    void theRpmCarriesItsFilesConfigAndScriptlets() throws Exception {
        String files = rpmQuery("-qpl");
        for (String f : List.of("/usr/share/pgha-agent/pgha-agent.jar", "/usr/share/pgha-agent/roles/lb/haproxy.cfg.tmpl",
                "/usr/share/pgha-agent/roles/data/role.yml", "/usr/bin/pgha-agent", "/usr/bin/pghactl",
                "/usr/lib/systemd/system/pgha-agent.service", "/etc/pgha-agent/agent.yml", "/etc/sysconfig/pgha-agent",
                "/etc/logrotate.d/pgha-agent", "/var/lib/pgha-agent", "/usr/share/bash-completion/completions/pghactl")) {
            assertTrue(files.lines().anyMatch(f::equals), f + " in:\n" + files);
        }
        String flags = rpmQuery("-qp", "--qf", "[%{FILEFLAGS:fflags} %{FILENAMES}\\n]");
        assertTrue(flags.lines().anyMatch(l -> l.equals("cn /etc/pgha-agent/agent.yml")), flags);
        String info = rpmQuery("-qpi");
        assertTrue(info.contains("Version     : " + version) && info.contains("Architecture: noarch"), info);
        String scripts = rpmQuery("-qp", "--scripts");
        for (String phase : List.of("postinstall", "preuninstall", "postuninstall")) {
            assertTrue(scripts.contains(phase + " scriptlet"), scripts);
        }
        assertEquals(3, scripts.lines().filter(l -> l.contains("pgha-agent.service")).count(), scripts);
        assertTrue(scripts.contains("try-restart pgha-agent.service"), "an upgrade restarts only the agent: " + scripts);
        String requires = rpmQuery("-qpR");
        assertTrue(requires.contains("java-17-openjdk-headless") && requires.contains("util-linux")
                && requires.contains("iproute"), requires);
    }

    @Test
    @Order(2)
    void itInstallsIntoAScratchRootAndSystemdAcceptsTheUnit() throws Exception {
        Path root = work.resolve("scratch");
        Files.createDirectories(root);
        Command.Outcome installed = run(List.of("rpm", "-i", "--nodeps", "--noscripts", "--root", root.toString(),
                rpm1.toString()));
        assertEquals(0, installed.exitCode(), installed.output());
        assertTrue(Files.isExecutable(root.resolve("usr/bin/pgha-agent")));
        assertEquals("rw-r-----", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(root.resolve("etc/pgha-agent/agent.yml"))));
        // The unit's default dependencies (sysinit.target, ...) come from the machine's systemd.
        Command.Outcome copy = run(List.of("cp", "-an", "/usr/lib/systemd/system/.",
                root.resolve("usr/lib/systemd/system").toString()));
        assertEquals(0, copy.exitCode(), copy.output());
        Command.Outcome verify = run(List.of("systemd-analyze", "verify", "--man=no", "--root=" + root,
                "/usr/lib/systemd/system/pgha-agent.service"));
        assertEquals(0, verify.exitCode(), verify.output());
        assertEquals("", verify.output().strip(), "no warnings");
    }

    @Test
    @Order(3)
    void underRealSystemdTheAgentStartsReportsRestartsUpgradesAndStopsWithoutTouchingEtcd() throws Exception {
        bootContainer();
        assertOk(in("rpm", "-i", "--nodeps", "/mnt/rpms/" + rpm1.getFileName()));
        // An operator's edits, which the upgrade must keep.
        String agentYml = "# edited by the operator\ncluster: box\netcd:\n  members:\n    box: 127.0.0.2\nhost:\n"
                + "  address: 127.0.0.2\n";
        writeInside(">>", "/etc/sysconfig/pgha-agent", "JAVA_HOME=" + System.getProperty("java.home") + "\n");
        // The cluster's files as the README has the operator make and copy them.
        assertOk(in("env", "JAVA_HOME=" + System.getProperty("java.home"), "pghactl", "init", "--cluster", "box",
                "--member", "box=127.0.0.2", "--dir", "/root/box"));
        assertOk(in("install", "-m", "0600", "/root/box/ca.key", "/etc/pgha-agent/"));
        assertOk(in("install", "-m", "0644", "/root/box/ca.crt", "/etc/pgha-agent/"));
        writeInside(">", "/etc/pgha-agent/agent.yml", agentYml);

        assertOk(in("systemctl", "enable", "--now", "pgha-agent"));
        String status = awaitStatus(s -> s.contains("etcd: member healthy"));
        assertTrue(status.contains("Active: active (running)"), status);
        assertTrue(status.lines().anyMatch(l -> l.contains("/usr/bin/etcd --config-file /etc/pgha-agent/etcd.yml")),
                "etcd runs in the unit's cgroup:\n" + status);
        long etcd = etcdPid();
        long agent = mainPid();

        assertOk(in("systemctl", "restart", "pgha-agent"));
        awaitStatus(s -> s.contains("etcd: member healthy"));
        assertNotEquals(agent, mainPid(), "the agent restarted");
        assertEquals(etcd, etcdPid(), "etcd kept running through the agent's restart");
        assertTrue(in("pgrep", "-x", "etcd").output().strip().equals(Long.toString(etcd)), "and no second etcd");

        long beforeUpgrade = mainPid();
        Command.Outcome upgrade = in("rpm", "-U", "--nodeps", "/mnt/rpms/" + rpm2.getFileName());
        assertOk(upgrade);
        assertEquals(agentYml, in("cat", "/etc/pgha-agent/agent.yml").output(), "the edited agent.yml survives");
        assertTrue(in("rpm", "-q", "pgha-agent").output().contains(version + "-2"));
        awaitStatus(s -> s.contains("etcd: member healthy") && !s.contains("Main PID: " + beforeUpgrade + " "));
        assertEquals(etcd, etcdPid(), "the upgrade restarted the agent only, not etcd");

        assertOk(in("systemctl", "stop", "pgha-agent"));
        Command.Outcome stopped = in("systemctl", "status", "pgha-agent", "--no-pager");
        assertTrue(stopped.output().contains("Active: inactive (dead)"), "a clean stop:\n" + stopped.output());
        assertEquals(Long.toString(etcd), in("pgrep", "-x", "etcd").output().strip(), "etcd outlives the agent");
    }

    @Test
    @Order(4)
    void theDebCarriesTheRpmsFilesItsConfigAndScriptsThatTouchOnlyTheAgent() throws Exception {
        // Files and links, each with its mode; Debian keeps the unit's environment in /etc/default.
        java.util.TreeMap<String, String> fromRpm = new java.util.TreeMap<>();
        rpmQuery("-qp", "--qf", "[%{FILEMODES:perms} %{FILENAMES}\\n]").lines().map(l -> l.split(" ", 2))
                .filter(f -> !f[0].startsWith("d")).forEach(f -> fromRpm.put(f[1].replace("/etc/sysconfig/",
                        "/etc/default/"), f[0]));
        java.util.TreeMap<String, String> fromDeb = new java.util.TreeMap<>();
        Command.Outcome listing = run(List.of("dpkg-deb", "-c", deb.toString()));
        assertOk(listing);
        listing.output().lines().map(l -> l.split("\\s+")).filter(f -> !f[0].startsWith("d"))
                .forEach(f -> fromDeb.put(f[5].substring(1), f[0]));
        assertEquals(fromRpm.keySet(), fromDeb.keySet());
        assertEquals("-rw-r-----", fromDeb.get("/etc/pgha-agent/agent.yml"));
        assertEquals("-rwxr-xr-x", fromDeb.get("/usr/bin/pgha-agent"));
        assertEquals(List.of("/etc/pgha-agent/agent.yml", "/etc/default/pgha-agent", "/etc/logrotate.d/pgha-agent"), debField("conffiles").lines().toList());
        String control = debField("control");
        assertTrue(control.contains("Version: " + version + "-1") && control.contains("Architecture: all")
                && control.contains("Depends: default-jre-headless (>= 2:1.17) | java17-runtime-headless"), control);
        for (String script : List.of("postinst", "prerm", "postrm")) {
            String text = debField(script);
            assertTrue(text.lines().filter(l -> l.contains("systemctl") && !l.strip().startsWith("#"))
                    .allMatch(l -> l.contains("pgha-agent.service") || l.contains("daemon-reload")), script + ":\n"
                    + text);
        }
        assertTrue(debField("postinst").contains("try-restart pgha-agent.service"), "an upgrade restarts only the"
                + " agent, and only if it ran");
    }

    @Test
    @Order(5)
    void theDebUnpacksIntoAScratchRootAndSystemdAcceptsTheUnit() throws Exception {
        Path root = work.resolve("deb-root");
        Files.createDirectories(root);
        assertOk(run(List.of("dpkg-deb", "-x", deb.toString(), root.toString())));
        assertEquals("rw-r-----", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(root.resolve("etc/pgha-agent/agent.yml"))));
        assertEquals("rwxr-x---", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(root.resolve("var/log/pgha-agent"))));
        assertEquals(Path.of("pgha-agent"), Files.readSymbolicLink(root.resolve("usr/bin/pghactl")));
        assertOk(run(List.of("cp", "-an", "/usr/lib/systemd/system/.", root.resolve("usr/lib/systemd/system")
                .toString())));
        Command.Outcome verify = run(List.of("systemd-analyze", "verify", "--man=no", "--root=" + root,
                "/usr/lib/systemd/system/pgha-agent.service"));
        assertEquals(0, verify.exitCode(), verify.output());
        assertEquals("", verify.output().strip(), "no warnings");
    }

    /** A control file of the .deb (control, conffiles, postinst, ...). */
    private String debField(String name) throws IOException {
        Command.Outcome out = run(List.of("dpkg-deb", "-I", deb.toString(), name));
        assertOk(out);
        return out.output();
    }

    private void bootContainer() throws Exception {
        Path upper = work.resolve("usr-upper");
        Files.createDirectories(upper);
        List<String> argv = new ArrayList<>(List.of("systemd-nspawn", "--directory=/", "--volatile=yes",
                "--register=no", "--keep-unit", "--private-network",
                // A writable layer over the machine's /usr: the package installs there and vanishes with it.
                "--overlay=/usr:" + upper + ":/usr",
                "--bind-ro=" + rpm1.getParent() + ":/mnt/rpms",
                // The package check asks dpkg, and Debian's JDK keeps its configuration under /etc.
                "--bind-ro=/var/lib/dpkg"));
        Path javaConf = Path.of("/etc/java-17-openjdk");
        if (Files.isDirectory(javaConf)) {
            argv.add("--bind-ro=" + javaConf);
        }
        argv.addAll(List.of("--boot", "--", "systemd.firstboot=off"));
        nspawn = new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectOutput(work.resolve("nspawn.log").toFile()).start();
        containerPid = await("the container's systemd", () -> nspawn.toHandle().children().findFirst()
                .map(ProcessHandle::pid));
        await("systemd up in the container", () -> {
            try {
                String state = in("systemctl", "is-system-running").output().strip();
                return state.equals("running") || state.equals("degraded") ? Optional.of(true) : Optional.empty();
            } catch (IOException e) {
                return Optional.empty();
            }
        });
    }

    private Command.Outcome in(String... command) throws IOException {
        List<String> argv = new ArrayList<>(List.of("nsenter", "--target", Long.toString(containerPid), "--mount",
                "--uts", "--ipc", "--net", "--pid", "--"));
        argv.addAll(List.of(command));
        return Command.run(argv, Duration.ofSeconds(120));
    }

    /** Writes (">") or appends (">>") text to a file in the container; the text reaches sh as "$1", unparsed. */
    private void writeInside(String redirect, String path, String text) throws IOException {
        assertOk(in("sh", "-c", "printf '%s' \"$1\" " + redirect + " " + path, "sh", text));
    }

    private String awaitStatus(java.util.function.Predicate<String> ready) throws Exception {
        String[] last = {""};
        try {
            return await("systemctl status pgha-agent", () -> {
                try {
                    last[0] = in("systemctl", "status", "pgha-agent", "--no-pager", "-l").output();
                    return ready.test(last[0]) && last[0].contains("Active: active (running)")
                            ? Optional.of(last[0]) : Optional.empty();
                } catch (IOException e) {
                    return Optional.empty();
                }
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nlast status:\n" + last[0]
                    + "\njournal:\n" + in("journalctl", "-u", "pgha-agent", "--no-pager", "-n", "40").output());
        }
    }

    private long etcdPid() throws IOException {
        String record = in("cat", "/run/pgha-agent/etcd.pid").output();
        return Long.parseLong(record.replaceAll("(?s).*\"pid\":(\\d+).*", "$1"));
    }

    private long mainPid() throws IOException {
        return Long.parseLong(in("systemctl", "show", "-p", "MainPID", "--value", "pgha-agent").output().strip());
    }

    private String rpmQuery(String... args) throws IOException {
        List<String> argv = new ArrayList<>(List.of("rpm"));
        argv.addAll(List.of(args));
        argv.add(rpm1.toString());
        Command.Outcome out = run(argv);
        assertEquals(0, out.exitCode(), out.output());
        return out.output();
    }

    private static void assertOk(Command.Outcome out) {
        assertEquals(0, out.exitCode(), out.output());
    }

    private static Command.Outcome run(List<String> argv) throws IOException {
        return Command.run(argv, Map.of("HOME", "/root", "JAVA_HOME", System.getProperty("java.home")), TIMEOUT);
    }

    private static <T> T await(String what, java.util.function.Supplier<Optional<T>> condition) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<T> v = condition.get();
            if (v.isPresent()) {
                return v.get();
            }
            Thread.sleep(250);
        }
        throw new AssertionError("not within " + TIMEOUT.toSeconds() + " s: " + what);
    }
}
