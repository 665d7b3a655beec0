package io.pgha.resources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileResourceTest {
    @TempDir
    Path dir;

    private final Owner rootOnly = new Owner("root", "root", 0600);

    @Test
    void createsThenReportsOk() throws Exception {
        Path path = dir.resolve("sub/etcd.yml");
        FileResource file = FileResource.of(path, "name: e1\n", rootOnly);
        List<String> plan = file.check();
        assertTrue(plan.get(0).contains("missing"), plan.toString());
        assertTrue(plan.contains("  +name: e1"), plan.toString());
        assertFalse(Files.exists(path), "check must not write");

        assertEquals(Status.CHANGED, file.apply().status());
        assertEquals("name: e1\n", Files.readString(path));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
        assertEquals(List.of(), file.check());
        assertEquals(Status.OK, file.apply().status());
        try (var listing = Files.list(path.getParent())) {
            assertEquals(List.of(path), listing.toList(), "no temp file left behind");
        }
    }

    @Test
    void contentDriftIsShownAsADiffAndRepaired() throws Exception {
        Path path = dir.resolve("etcd.yml");
        Files.writeString(path, "name: e1\nlogger: capnslog\n");
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        FileResource file = FileResource.of(path, "name: e1\nlogger: zap\n", rootOnly);
        List<String> plan = file.check();
        assertTrue(plan.contains("  -logger: capnslog"), plan.toString());
        assertTrue(plan.contains("  +logger: zap"), plan.toString());
        assertFalse(plan.stream().anyMatch(l -> l.contains("name: e1")), "unchanged lines are not in the diff: " + plan);

        Result result = file.apply();
        assertEquals(Status.CHANGED, result.status());
        assertEquals("content updated", result.message());
        assertEquals("name: e1\nlogger: zap\n", Files.readString(path));
    }

    @Test
    void modeDriftIsRepairedWithoutRewriting() throws Exception {
        Path path = dir.resolve("patroni.yml");
        Files.writeString(path, "x\n");
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-r--r--"));
        FileResource file = FileResource.of(path, "x\n", rootOnly);
        assertEquals(List.of(path + ": mode 0644 -> 0600"), file.check());
        Result result = file.apply();
        assertEquals(Status.CHANGED, result.status());
        assertEquals("mode 0644 -> 0600", result.message());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
    }

    @Test
    void sensitiveContentIsNeverShown() throws Exception {
        Path path = dir.resolve("pgpass");
        Files.writeString(path, "old-secret\n");
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        FileResource file = FileResource.of(path, "new-secret\n", rootOnly).asSensitive();
        List<String> plan = file.check();
        assertEquals(List.of(path + ": content differs (sensitive, not shown)"), plan);
        assertFalse(file.check().toString().contains("secret\n"));
    }

    @Test
    void aRefusedValidationLeavesTheOldFile() throws Exception {
        Path path = dir.resolve("haproxy.cfg");
        Files.writeString(path, "good\n");
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        FileResource refused = FileResource.of(path, "bad\n", rootOnly)
                .validatedBy(List.of("/usr/bin/grep", "-q", "good", "{}"));
        Result result = refused.apply();
        assertEquals(Status.FAILED, result.status());
        assertTrue(result.message().contains("refused by /usr/bin/grep"), result.message());
        assertEquals("good\n", Files.readString(path));
        try (var listing = Files.list(dir)) {
            assertEquals(List.of(path), listing.toList(), "the rejected temp file is gone");
        }
        FileResource accepted = FileResource.of(path, "still good\n", rootOnly)
                .validatedBy(List.of("/usr/bin/grep", "-q", "good", "{}"));
        assertEquals(Status.CHANGED, accepted.apply().status());
        assertEquals("still good\n", Files.readString(path));
    }

    @Test
    void digestFollowsContent() {
        FileResource a = FileResource.of(dir.resolve("a"), "one", rootOnly);
        FileResource b = FileResource.of(dir.resolve("b"), "one", rootOnly);
        FileResource c = FileResource.of(dir.resolve("a"), "two", rootOnly);
        assertEquals(a.digest(), b.digest());
        assertFalse(a.digest().equals(c.digest()));
    }

    @Test
    void unknownOwnerFailsWithAReason() {
        FileResource file = FileResource.of(dir.resolve("x"), "x", new Owner("no-such-user-pgha", "root", 0600));
        Result result = file.apply();
        assertEquals(Status.FAILED, result.status());
        assertTrue(result.message().contains("no-such-user-pgha"), result.message());
        assertFalse(Files.exists(dir.resolve("x")));
    }
}
