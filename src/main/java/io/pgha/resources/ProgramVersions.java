package io.pgha.resources;

import io.pgha.model.ProgramVersion;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/** Which version of a program is installed: {@link InstalledVersions} asks the binaries; tests name one. */
@FunctionalInterface
public interface ProgramVersions {
    /** The version of the program at {@code binary}; empty when it is not installed. */
    Optional<ProgramVersion> of(Path binary) throws IOException;
}
