package io.pgha.role;

import io.pgha.resource.PackageManager;
import io.pgha.resource.PackageResource;
import io.pgha.resource.UserResource;
import io.pgha.spec.AgentConfig;
import io.pgha.spec.HostIdentity;
import io.pgha.spec.HostPaths;
import io.pgha.supervise.Supervisor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** The facts of one host that roles are built from. */
public record HostContext(AgentConfig agent, HostIdentity identity, HostPaths paths, PackageManager packageManager,
                          Path rolesDir, Supervisor supervisor) {

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
