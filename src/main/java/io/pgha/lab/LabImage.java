package io.pgha.lab;

import io.pgha.supervise.Command;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The root file system every booted lab host of one {@link LabPlan.Os} starts from, built once with debootstrap and
 * kept under {@link LabPlan#IMAGES}: the engines' packages as Debian ships them, their own services disabled (as an
 * operator following README does before handing the host to the agent). A half-built image is never used: the build
 * goes to a temporary directory, renamed when done, with the recipe written beside it; a different recipe builds
 * anew. The versions the build got are written beside it and into the image ({@code /etc/pgha-lab/versions}):
 * testing's packages move, and a rebuild says which of them did.
 */
public final class LabImage {
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(20);
    private static final String MIRROR = "http://deb.debian.org/debian";
    private static final Path SCRIPTS = Path.of("/usr/share/debootstrap/scripts");
    /** Debian starts these on install; the agent runs etcd, Patroni, HAProxy, keepalived and PgBouncer itself. */
    private static final List<String> DISTRO_SERVICES = List.of("etcd.service", "haproxy.service", "keepalived.service",
            "patroni.service", "pgbouncer.service", "postgresql.service");
    /** Inside the image: what it was built with. */
    private static final String VERSIONS_FILE = "etc/pgha-lab/versions";

    private final LabPlan.Os os;
    private final Path dir;

    public LabImage(Path imagesDir, LabPlan.Os os) {
        if (!os.booted()) {
            throw new IllegalArgumentException("no image for " + os + ": its hosts are this machine's");
        }
        this.os = os;
        this.dir = imagesDir.resolve(os.suite());
    }

    public Path dir() {
        return dir;
    }

    /** What an operator's host has before it gets the agent; logrotate is the .deb's recommendation. */
    List<String> packages() {
        return List.of("systemd", "systemd-sysv", "dbus", "iproute2", "procps", "logrotate", os.jre(), "etcd-server",
                "etcd-client", "patroni", "python3-idna", "python3-etcd", "postgresql-" + os.postgresVersion(),
                "haproxy", "keepalived", "pgbouncer", "pgbackrest");
    }

    private String recipe() {
        return "debootstrap --variant=minbase " + os.suite() + " " + MIRROR + " with " + String.join(",", packages())
                + os.olderPostgres().map(o -> "; " + o.packageName() + " from " + o.suite()).orElse("")
                + "; disabled " + String.join(",", DISTRO_SERVICES) + "; no default cluster\n";
    }

    private Path recipeFile() {
        return dir.resolveSibling(os.suite() + ".recipe");
    }

    /** The package versions of the last build, kept beside the image (also after a rebuild's failure). */
    private Path versionsFile() {
        return dir.resolveSibling(os.suite() + ".versions");
    }

    public boolean isBuilt() throws IOException {
        return Files.isDirectory(dir) && Files.exists(recipeFile()) && Files.readString(recipeFile()).equals(recipe());
    }

    /**
     * The image, built first if it is missing or from another recipe; progress goes to {@code out}. Another process
     * building it meanwhile (CI builds the images beside the first tests) is waited for, not raced.
     */
    public Path ensure(PrintWriter out) throws IOException {
        Files.createDirectories(dir.getParent());
        try (FileChannel lock = FileChannel.open(dir.resolveSibling(os.suite() + ".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock held = lock.lock()) {
            return ensureLocked(out);
        }
    }

    private Path ensureLocked(PrintWriter out) throws IOException {
        if (isBuilt()) {
            return dir;
        }
        Path tmp = dir.resolveSibling(os.suite() + ".tmp");
        delete(tmp);
        delete(dir);
        Files.deleteIfExists(recipeFile());
        Files.createDirectories(dir.getParent());
        out.println("building the " + os.label() + " image once with debootstrap (2 to 4 minutes; kept in " + dir
                + " for later labs)");
        out.flush();
        Map<String, String> before = recorded();
        List<String> debootstrap = new ArrayList<>(List.of("debootstrap", "--variant=minbase",
                "--include=" + String.join(",", packages()), os.suite(), tmp.toString(), MIRROR));
        if (!Files.exists(SCRIPTS.resolve(os.suite()))) {
            // Debian 12's debootstrap has no script for forky: testing's is sid's.
            debootstrap.add(SCRIPTS.resolve("sid").toString());
        }
        Command.Outcome built = Command.run(debootstrap, BUILD_TIMEOUT);
        if (!built.ok()) {
            throw new IOException("debootstrap of " + os.label() + " (" + os.suite() + ") failed (exit "
                    + built.exitCode() + "): " + built.lastLine() + (before.isEmpty() ? ""
                    : "; the last image of " + os.suite() + " had " + versionsText(before) + " (a package may have"
                    + " left " + os.suite() + " or changed its name since)"));
        }
        if (os.olderPostgres().isPresent()) {
            installOlderPostgres(tmp, os.olderPostgres().get(), out);
        }
        List<String> disable = new ArrayList<>(List.of("systemctl", "--root=" + tmp, "disable", "--quiet"));
        disable.addAll(DISTRO_SERVICES);
        Command.check(disable, Duration.ofMinutes(1));
        // Debian's default clusters would only take memory on every host; the agent never uses them.
        // (A major installed after debootstrap, in the chroot, gets none.)
        for (int major : os.postgresVersions()) {
            if (Files.isDirectory(tmp.resolve("etc/postgresql/" + major + "/main"))) {
                Command.check(List.of("chroot", tmp.toString(), "pg_dropcluster", Integer.toString(major), "main"),
                        Duration.ofMinutes(1));
            }
        }
        Map<String, String> now = versionsIn(tmp);
        Files.createDirectories(tmp.resolve(VERSIONS_FILE).getParent());
        Files.writeString(tmp.resolve(VERSIONS_FILE), versionLines(now));
        Files.move(tmp, dir);
        Files.writeString(recipeFile(), recipe());
        Files.writeString(versionsFile(), versionLines(now));
        List<String> moved = changes(before, now);
        out.println(os.label() + " image: " + versionsText(now));
        if (!moved.isEmpty()) {
            out.println("note: " + os.suite() + " moved since the last image: " + String.join(", ", moved));
        }
        return dir;
    }

    /**
     * The older major as an operator adds it: that release's archive in the sources (apt still prefers this release's
     * newer versions of everything both have), its server package without recommendations.
     */
    private static void installOlderPostgres(Path root, LabPlan.OlderPostgres older, PrintWriter out)
            throws IOException {
        out.println("adding PostgreSQL " + older.major() + " from " + older.suite());
        out.flush();
        Path list = root.resolve("etc/apt/sources.list.d/" + older.suite() + ".list");
        Files.writeString(list, "deb " + MIRROR + " " + older.suite() + " main\n");
        // The archive served here can be a snapshot older than its Release files' Valid-Until (debootstrap does not
        // check it; apt does): the lab takes what it serves, as the debootstrap before did.
        Command.check(List.of("chroot", root.toString(), "apt-get", "-o", "Acquire::Check-Valid-Until=false",
                "update", "-q"), BUILD_TIMEOUT);
        Command.Outcome installed = Command.run(List.of("chroot", root.toString(), "env",
                "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q", "--no-install-recommends",
                older.packageName()), BUILD_TIMEOUT);
        if (!installed.ok()) {
            throw new IOException(older.packageName() + " from " + older.suite() + " did not install (exit "
                    + installed.exitCode() + "): " + installed.lastLine());
        }
    }

    /** The versions of the image's packages, as dpkg has them. */
    private Map<String, String> versionsIn(Path root) throws IOException {
        List<String> argv = new ArrayList<>(List.of("chroot", root.toString(), "dpkg-query", "-W",
                "-f=${Package} ${Version}\\n"));
        argv.addAll(packages());
        os.olderPostgres().map(LabPlan.OlderPostgres::packageName).ifPresent(argv::add);
        return parseVersions(Command.check(argv, Duration.ofMinutes(1)).output());
    }

    /** The versions the last build recorded; none when there was none. */
    public Map<String, String> recorded() throws IOException {
        return Files.exists(versionsFile()) ? parseVersions(Files.readString(versionsFile())) : new TreeMap<>();
    }

    /** "name version" lines (dpkg-query's, the versions file's), by name. */
    private static Map<String, String> parseVersions(String lines) {
        Map<String, String> out = new TreeMap<>();
        for (String line : lines.split("\n")) {
            String[] f = line.strip().split(" ");
            if (f.length == 2) {
                out.put(f[0], f[1]);
            }
        }
        return out;
    }

    /** "dbus 1.16.2-8, etcd-client 3.5.30-2, ...": what the last build recorded. */
    public String describeRecorded() throws IOException {
        return versionsText(recorded());
    }

    /** "name version" lines, as the versions file has them. */
    private static String versionLines(Map<String, String> versions) {
        return String.join("", versions.entrySet().stream().map(e -> e.getKey() + " " + e.getValue() + "\n").toList());
    }

    private static String versionsText(Map<String, String> versions) {
        return String.join(", ", versions.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).toList());
    }

    /** What differs between two builds' versions, as "patroni 4.1.5-1 -> 4.1.6-1". */
    static List<String> changes(Map<String, String> before, Map<String, String> now) {
        List<String> out = new ArrayList<>();
        if (before.isEmpty()) {
            return out;
        }
        Set<String> names = new TreeSet<>(before.keySet());
        names.addAll(now.keySet());
        for (String name : names) {
            String was = before.getOrDefault(name, "none");
            String is = now.getOrDefault(name, "none");
            if (!was.equals(is)) {
                out.add(name + " " + was + " -> " + is);
            }
        }
        return out;
    }

    /** Removes the image (lab down --purge). */
    public void remove() throws IOException {
        Files.deleteIfExists(recipeFile());
        delete(dir.resolveSibling(os.suite() + ".tmp"));
        Files.deleteIfExists(versionsFile());
        Files.deleteIfExists(dir.resolveSibling(os.suite() + ".lock"));
        delete(dir);
    }

    /** Removes a tree without following links or crossing into another file system (a mount left behind). */
    static void delete(Path tree) throws IOException {
        if (Files.exists(tree, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Command.check(List.of("rm", "-rf", "--one-file-system", tree.toString()), Duration.ofMinutes(5));
        }
    }
}
