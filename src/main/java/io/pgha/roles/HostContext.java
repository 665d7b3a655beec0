package io.pgha.roles;

import io.pgha.model.AgentConfig;
import io.pgha.model.HostIdentity;
import io.pgha.model.HostPaths;
import io.pgha.model.ProgramVersion;
import io.pgha.resources.PackageResource;
import io.pgha.resources.PackageSources;
import io.pgha.resources.ProgramVersions;
import io.pgha.resources.UserResource;
import io.pgha.supervise.Supervisor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Optional;

/** The facts of one host that roles are built from. */
public record HostContext(AgentConfig agent, HostIdentity identity, HostPaths paths, PackageSources packageSources,
                          ProgramVersions versions, Path rolesDir, Supervisor supervisor,
                          HostCertificate certificate) {

    PackageResource packages(RoleDefinition def, String version) {
        try {
            return new PackageResource(packageSources, def.packagesFor(family(), version),
                    def.distroServicesFor(version), paths.isRealRoot());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String family() {
        return packageSources.platform().family();
    }

    /** The installed version of a role's program, empty before its package is installed. */
    Optional<ProgramVersion> installed(RoleDefinition def) throws IOException {
        return versions.of(Path.of(def.binary()));
    }

    UserResource user(RoleDefinition def, Path home) {
        return new UserResource(def.user(), home);
    }
}
