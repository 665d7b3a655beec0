package io.pgha.roles;

import io.pgha.model.AgentConfig;
import io.pgha.model.HostIdentity;
import io.pgha.model.HostPaths;
import io.pgha.resources.PackageManager;
import io.pgha.resources.PackageResource;
import io.pgha.resources.UserResource;
import io.pgha.supervise.Supervisor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** The facts of one host that roles are built from. */
public record HostContext(AgentConfig agent, HostIdentity identity, HostPaths paths, PackageManager packageManager,
                          Path rolesDir, Supervisor supervisor, HostCertificate certificate) {

    PackageResource packages(RoleDefinition def, String version) {
        try {
            return new PackageResource(packageManager, def.packagesFor(packageManager.family(), version),
                    def.distroServicesFor(version), paths.isRealRoot());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    UserResource user(RoleDefinition def, Path home) {
        return new UserResource(def.user(), home);
    }
}
