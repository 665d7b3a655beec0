package io.pgha.resources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PlatformTest {
    private static Platform from(String osRelease) {
        return Platform.fromOsRelease(osRelease, PackageManager.APT);
    }

    @Test
    void theOsReleaseNamesThePlatform() {
        assertEquals("debian12", from("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n").id());
        assertEquals("debian13", from("ID=debian\nVERSION_ID=\"13\"\nVERSION_CODENAME=trixie\n").id());
        // Testing has no VERSION_ID.
        assertEquals("debian14", from("PRETTY_NAME=\"Debian GNU/Linux forky/sid\"\nID=debian\nVERSION_CODENAME=forky\n")
                .id());
        assertEquals("el9", from("ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.5\"\n").id());
        assertEquals("el9", from("ID=\"almalinux\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.4\"\n").id());
        assertEquals("el8", from("ID=\"rhel\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"8.10\"\n").id());
        Platform ubuntu = from("PRETTY_NAME=\"Ubuntu 24.04 LTS\"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"24.04\"\n");
        assertEquals("other", ubuntu.id());
        assertEquals("debian", ubuntu.family(), "packages by the manager's family");
        assertEquals(List.of(), ubuntu.repositories());
        assertEquals(PackageManager.DNF, from("ID=rocky\nID_LIKE=\"rhel\"\nVERSION_ID=9").manager());
        assertEquals("redhat", from("ID=rocky\nID_LIKE=\"rhel\"\nVERSION_ID=9").family());
    }

    @Test
    void debianNeedsPgdgOnlyForThePostgresItDoesNotShip() {
        Platform bookworm = Platform.known().get("debian12");
        assertEquals(List.of(), bookworm.needed(List.of("postgresql-15", "patroni", "etcd-server", "haproxy")));
        assertEquals(List.of("apt.postgresql.org"), ids(bookworm.needed(List.of("postgresql-16", "patroni"))));
        Platform trixie = Platform.known().get("debian13");
        assertEquals(List.of(), trixie.needed(List.of("postgresql-17")));
        assertEquals(List.of("apt.postgresql.org"), ids(trixie.needed(List.of("postgresql-15"))));
        assertEquals(List.of(), Platform.known().get("debian14").needed(List.of("postgresql-18")));
    }

    @Test
    void elNeedsPgdgEpelAndTheExtrasForEtcd() {
        Platform el9 = Platform.known().get("el9");
        assertEquals(List.of("pgdg16", "pgdg-common", "epel"),
                ids(el9.needed(List.of("postgresql16-server", "patroni", "patroni-etcd"))));
        List<Platform.Repository> etcd = el9.needed(List.of("etcd"));
        assertEquals(List.of("pgdg-rhel9-extras"), ids(etcd));
        assertTrue(etcd.get(0).enabledOnlyFor());
        assertEquals(List.of(), el9.needed(List.of("haproxy")), "AppStream ships HAProxy");
        assertEquals(List.of("pgdg-rhel8-extras"), ids(Platform.known().get("el8").needed(List.of("etcd"))));
        assertTrue(Platform.known().get("el8").needed(List.of("patroni")).get(1).howToAdd().contains("powertools"));
    }

    @Test
    void dnfRepolistIsReadAndTheExtrasAreEnabledForTheInstallOnly() throws IOException {
        Map<String, Boolean> repos = PackageSources.repositories("""
                repo id                       repo name                                               status
                appstream                     Rocky Linux 9 - AppStream                               enabled
                epel                          Extra Packages for Enterprise Linux 9 - x86_64          enabled
                pgdg-common                   PostgreSQL common RPMs for RHEL / Rocky / AlmaLinux 9   enabled
                pgdg-rhel9-extras             PostgreSQL 9 extras                                     disabled
                pgdg16                        PostgreSQL 16 for RHEL / Rocky / AlmaLinux 9 - x86_64   enabled
                """);
        assertEquals(Boolean.FALSE, repos.get("pgdg-rhel9-extras"));
        assertEquals(Boolean.TRUE, repos.get("pgdg16"));
        assertFalse(repos.containsKey("repo"));
        Platform el9 = Platform.known().get("el9");
        assertEquals(List.of("--enablerepo=pgdg-rhel9-extras"),
                PackageSources.enableArguments(el9.needed(List.of("etcd")), repos));
        assertEquals(List.of(), PackageSources.enableArguments(el9.needed(List.of("postgresql16-server", "patroni")),
                repos));
        IOException missing = assertThrows(IOException.class, () -> PackageSources.enableArguments(
                el9.needed(List.of("postgresql17-server")), repos));
        assertTrue(missing.getMessage().startsWith("repository pgdg17 is missing") && missing.getMessage()
                .contains("reporpms/EL-9-x86_64/pgdg-redhat-repo-latest.noarch.rpm"), missing.getMessage());
        IOException disabled = assertThrows(IOException.class, () -> PackageSources.enableArguments(
                el9.needed(List.of("patroni")), Map.of("pgdg-common", false, "epel", true)));
        assertTrue(disabled.getMessage().contains("dnf config-manager --set-enabled pgdg-common"), disabled.getMessage());
    }

    @Test
    void installArgvPutsRepositoryOptionsBeforeTheNames() {
        assertEquals(List.of("/usr/bin/dnf", "install", "-y", "-q", "--enablerepo=pgdg-rhel9-extras", "etcd"),
                PackageManager.DNF.install(List.of("etcd"), List.of("--enablerepo=pgdg-rhel9-extras")));
        assertEquals(List.of("/usr/bin/apt-get", "install", "-y", "-q", "-o", "DPkg::Lock::Timeout=600",
                "--no-install-recommends", "haproxy"), PackageManager.APT.install(List.of("haproxy"), List.of()));
    }

    @Test
    void aptCandidateTellsAKnownPackage() {
        assertTrue(PackageSources.hasAptCandidate("patroni:\n  Installed: (none)\n  Candidate: 4.0.7-1\n"));
        assertFalse(PackageSources.hasAptCandidate("postgresql-16:\n  Installed: (none)\n  Candidate: (none)\n"));
        assertFalse(PackageSources.hasAptCandidate(""), "apt-cache prints nothing for a name it never heard of");
    }

    private static List<String> ids(List<Platform.Repository> repos) {
        return repos.stream().map(Platform.Repository::id).toList();
    }
}
