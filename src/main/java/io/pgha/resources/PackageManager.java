package io.pgha.resources;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The host's package manager: how to ask whether a package is installed and how to install it. */
public enum PackageManager {
    APT("debian", "/usr/bin/apt-get"),
    DNF("redhat", "/usr/bin/dnf"),
    YUM("redhat", "/usr/bin/yum");

    private final String family;
    private final String binary;

    PackageManager(String family, String binary) {
        this.family = family;
        this.binary = binary;
    }

    /** The OS family whose package names apply ("debian" or "redhat"), as roles/ spell it. */
    public String family() {
        return family;
    }

    public static Optional<PackageManager> detect() {
        for (PackageManager pm : values()) {
            if (Files.isExecutable(Path.of(pm.binary))) {
                return Optional.of(pm);
            }
        }
        return Optional.empty();
    }

    List<String> queryInstalled(String name) {
        return this == APT
                ? List.of("/usr/bin/dpkg-query", "-W", "-f=${db:Status-Status}", name)
                : List.of("/usr/bin/rpm", "-q", "--quiet", name);
    }

    boolean isInstalledOutput(String output) {
        return this != APT || output.strip().equals("installed");
    }

    String binary() {
        return binary;
    }

    /**
     * Install without prompting; apt waits up to ten minutes for the dpkg lock, dnf and yum wait by themselves.
     * {@code extra}: options such as dnf's --enablerepo, placed before the names.
     */
    List<String> install(List<String> names, List<String> extra) {
        List<String> argv = new ArrayList<>();
        if (this == APT) {
            argv.addAll(List.of(binary, "install", "-y", "-q", "-o", "DPkg::Lock::Timeout=600", "--no-install-recommends"));
        } else {
            argv.addAll(List.of(binary, "install", "-y", "-q"));
        }
        argv.addAll(extra);
        argv.addAll(names);
        return argv;
    }

    Map<String, String> environment() {
        return this == APT ? Map.of("DEBIAN_FRONTEND", "noninteractive") : Map.of();
    }
}
