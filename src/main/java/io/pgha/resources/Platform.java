package io.pgha.resources;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The operating system the agent runs on, as far as installing the engines goes: its package manager, the family
 * whose package names roles/ lists, and the repositories that hold what the OS itself does not ship. The package
 * names and bin directories per family are in roles/&lt;role&gt;/role.yml.
 *
 * @param id           {@code debian12}, {@code debian13}, {@code el8}, {@code el9}, or {@code other} (packages by
 *                     family, no repository knowledge)
 * @param repositories where packages come from beyond the OS's own repositories, checked before an install
 */
public record Platform(String id, String description, PackageManager manager, List<Repository> repositories) {

    /**
     * A repository that some packages need.
     *
     * @param id             the repository's id as the package manager lists it (dnf repolist), or a name (apt)
     * @param packages       the package names it provides, as a regular expression
     * @param enabledOnlyFor true for a repository that stays disabled and is enabled for its packages' install only
     *                       ({@code dnf --enablerepo})
     * @param howToAdd       the commands an operator runs to add it
     */
    public record Repository(String id, Pattern packages, boolean enabledOnlyFor, String howToAdd) {
        public boolean provides(String pkg) {
            return packages.matcher(pkg).matches();
        }
    }

    public Platform {
        repositories = List.copyOf(repositories);
    }

    /** The family roles/ names packages by: {@code debian} or {@code redhat}. */
    public String family() {
        return manager.family();
    }

    private static final String PGDG_APT = "install -d /usr/share/postgresql-common/pgdg && curl -fsSo"
            + " /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc"
            + " https://www.postgresql.org/media/keys/ACCC4CF8.asc && echo \"deb [signed-by="
            + "/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt"
            + " $(. /etc/os-release; echo $VERSION_CODENAME)-pgdg main\" > /etc/apt/sources.list.d/pgdg.list"
            + " && apt-get update";

    /** The platforms pgha-agent knows, by id. */
    public static Map<String, Platform> known() {
        Map<String, Platform> out = new LinkedHashMap<>();
        out.put("debian12", debian("debian12", "Debian 12", 15));
        out.put("debian13", debian("debian13", "Debian 13", 17));
        out.put("debian14", debian("debian14", "Debian 14", 18));
        out.put("el8", el(8));
        out.put("el9", el(9));
        return out;
    }

    /** Debian ships one PostgreSQL major per release; the others come from the PGDG apt repository. */
    private static Platform debian(String id, String description, int shippedPostgres) {
        return new Platform(id, description, PackageManager.APT, List.of(new Repository("apt.postgresql.org",
                Pattern.compile("postgresql-(?!" + shippedPostgres + "$)\\d+"), false, PGDG_APT)));
    }

    /**
     * EL: PostgreSQL and Patroni from PGDG (Patroni's Python modules from EPEL), etcd from PGDG's extras, which is
     * disabled by default and enabled for the etcd install only; HAProxy from AppStream.
     */
    private static Platform el(int major) {
        String pgdg = "dnf install -y https://download.postgresql.org/pub/repos/yum/reporpms/EL-" + major
                + "-x86_64/pgdg-redhat-repo-latest.noarch.rpm && dnf -qy module disable postgresql";
        String epel = major == 9 ? "dnf install -y epel-release && dnf config-manager --set-enabled crb"
                : "dnf install -y epel-release && dnf config-manager --set-enabled powertools";
        String extras = "pgdg-rhel" + major + "-extras";
        return new Platform("el" + major, "EL " + major, PackageManager.DNF, List.of(
                new Repository("pgdg(\\d+)", Pattern.compile("postgresql(\\d+)-server"), false, pgdg),
                new Repository("pgdg-common", Pattern.compile("patroni|patroni-etcd|pgbackrest"), false, pgdg),
                new Repository("epel", Pattern.compile("patroni|patroni-etcd"), false, epel),
                new Repository(extras, Pattern.compile("etcd"), true, pgdg + " (" + extras
                        + " stays disabled: pgha-agent enables it for the etcd install only)")));
    }

    /** This host's platform, from /etc/os-release and the package manager found. */
    public static Optional<Platform> detect() throws IOException {
        Path osRelease = Path.of("/etc/os-release");
        String text = Files.exists(osRelease) ? Files.readString(osRelease) : "";
        return PackageManager.detect().map(pm -> fromOsRelease(text, pm));
    }

    /** The platform an os-release text names; {@code other} (no repository knowledge) for an OS not in the map. */
    public static Platform fromOsRelease(String osRelease, PackageManager found) {
        Map<String, String> fields = new LinkedHashMap<>();
        osRelease.lines().map(String::strip).filter(l -> l.contains("=") && !l.startsWith("#")).forEach(l -> {
            int eq = l.indexOf('=');
            fields.put(l.substring(0, eq), l.substring(eq + 1).replaceAll("^\"|\"$", ""));
        });
        String id = fields.getOrDefault("ID", "").toLowerCase(Locale.ROOT);
        String like = fields.getOrDefault("ID_LIKE", "").toLowerCase(Locale.ROOT);
        // Debian testing has no VERSION_ID, only its codename.
        String major = fields.containsKey("VERSION_ID") ? fields.get("VERSION_ID").split("\\.")[0]
                : fields.getOrDefault("VERSION_CODENAME", "").equals("forky") ? "14" : "";
        String key = id.equals("debian") ? "debian" + major
                : (like.contains("rhel") || id.equals("rhel")) ? "el" + major : "";
        Platform known = known().get(key);
        return known != null ? known : new Platform("other", fields.getOrDefault("PRETTY_NAME", "unknown OS"), found,
                List.of());
    }

    /** The repositories the named packages need, those with a {@code (\d+)} id filled in from the package name. */
    public List<Repository> needed(List<String> packages) {
        List<Repository> out = new ArrayList<>();
        for (String pkg : packages) {
            for (Repository r : repositories) {
                if (r.provides(pkg)) {
                    var m = r.packages().matcher(pkg);
                    m.matches();
                    String id = m.groupCount() > 0 && r.id().contains("(\\d+)")
                            ? r.id().replace("(\\d+)", m.group(1)) : r.id();
                    Repository concrete = new Repository(id, r.packages(), r.enabledOnlyFor(), r.howToAdd());
                    if (!out.contains(concrete)) {
                        out.add(concrete);
                    }
                }
            }
        }
        return out;
    }
}
