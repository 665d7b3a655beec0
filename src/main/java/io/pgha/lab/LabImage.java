package io.pgha.lab;

import io.pgha.supervise.Command;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The Debian 13 root file system every booted lab host starts from, built once with debootstrap and kept under
 * {@link LabPlan#IMAGES}: the engines' packages as Debian ships them, their own services disabled (as an operator
 * following README does before handing the host to the agent). A half-built image is never used: the build goes to
 * a temporary directory, renamed when done, with the recipe written beside it; a different recipe builds anew.
 */
public final class LabImage {
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(20);
    private static final String SUITE = "trixie";
    private static final String MIRROR = "http://deb.debian.org/debian";
    /** What an operator's Debian 13 host has before it gets the agent; logrotate is the .deb's recommendation. */
    private static final List<String> PACKAGES = List.of("systemd", "systemd-sysv", "dbus", "iproute2", "procps",
            "logrotate", "openjdk-21-jre-headless", "etcd-server", "etcd-client", "patroni", "python3-idna",
            "postgresql-17", "haproxy", "pgbackrest");
    /** Debian starts these on install; the agent runs etcd, Patroni and HAProxy itself. */
    private static final List<String> DISTRO_SERVICES = List.of("etcd.service", "haproxy.service", "patroni.service",
            "postgresql.service");

    private final Path dir;

    public LabImage(Path imagesDir) {
        this.dir = imagesDir.resolve(SUITE);
    }

    public Path dir() {
        return dir;
    }

    private static String recipe() {
        return "debootstrap --variant=minbase " + SUITE + " " + MIRROR + " with " + String.join(",", PACKAGES)
                + "; disabled " + String.join(",", DISTRO_SERVICES) + "; no default cluster\n";
    }

    private Path recipeFile() {
        return dir.resolveSibling(SUITE + ".recipe");
    }

    public boolean isBuilt() throws IOException {
        return Files.isDirectory(dir) && Files.exists(recipeFile()) && Files.readString(recipeFile()).equals(recipe());
    }

    /** The image, built first if it is missing or from another recipe; progress goes to {@code out}. */
    public Path ensure(PrintWriter out) throws IOException {
        if (isBuilt()) {
            return dir;
        }
        Path tmp = dir.resolveSibling(SUITE + ".tmp");
        delete(tmp);
        delete(dir);
        Files.deleteIfExists(recipeFile());
        Files.createDirectories(dir.getParent());
        out.println("building the Debian 13 image once with debootstrap (about 2 minutes; kept in " + dir
                + " for later labs)");
        out.flush();
        Command.check(List.of("debootstrap", "--variant=minbase", "--include=" + String.join(",", PACKAGES), SUITE,
                tmp.toString(), MIRROR), BUILD_TIMEOUT);
        List<String> disable = new ArrayList<>(List.of("systemctl", "--root=" + tmp, "disable", "--quiet"));
        disable.addAll(DISTRO_SERVICES);
        Command.check(disable, Duration.ofMinutes(1));
        // Debian's default cluster (17/main) would only take memory on every host; the agent never uses it.
        Command.check(List.of("chroot", tmp.toString(), "pg_dropcluster", "17", "main"), Duration.ofMinutes(1));
        Files.move(tmp, dir);
        Files.writeString(recipeFile(), recipe());
        return dir;
    }

    /** Removes the image (lab down --purge). */
    public void remove() throws IOException {
        Files.deleteIfExists(recipeFile());
        delete(dir.resolveSibling(SUITE + ".tmp"));
        delete(dir);
    }

    /** Removes a tree without following links or crossing into another file system (a mount left behind). */
    static void delete(Path tree) throws IOException {
        if (Files.exists(tree, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Command.check(List.of("rm", "-rf", "--one-file-system", tree.toString()), Duration.ofMinutes(5));
        }
    }
}
