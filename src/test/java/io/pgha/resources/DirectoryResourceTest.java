package io.pgha.resources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryResourceTest {
    @TempDir
    Path dir;

    @Test
    void createsWithModeAndIsIdempotent() throws Exception {
        Path data = dir.resolve("var/lib/etcd");
        DirectoryResource resource = new DirectoryResource(data, new Owner("root", "root", 0700));
        assertTrue(resource.check().get(0).contains("missing"));
        assertEquals(Status.CHANGED, resource.apply().status());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data)));
        assertEquals(List.of(), resource.check());
        assertEquals(Status.OK, resource.apply().status());

        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertEquals(List.of(data + ": mode 0755 -> 0700"), resource.check());
        assertEquals(Status.CHANGED, resource.apply().status());
        assertEquals(List.of(), resource.check());
    }
}
