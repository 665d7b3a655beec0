package io.pgha.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** On this machine's real file systems: the build directory's disk, and /dev/shm, a tmpfs of its own. */
class ColocationTest {
    private final DiskSampler sampler = new DiskSampler();

    @Test
    void twoDirectoriesOnOneDiskAreReported() throws Exception {
        Path build = Path.of("target").toAbsolutePath();
        Map<String, Path> dirs = new LinkedHashMap<>();
        dirs.put("etcd data", Files.createDirectories(build.resolve("colocation/etcd")));
        dirs.put("postgres data", build.resolve("colocation/postgresql/not-made-yet"));
        List<String> warnings = Colocation.warnings(sampler.sample(dirs));
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith("etcd data and postgres data share disk "), warnings.get(0));
    }

    @Test
    void separateDevicesAreNot() throws Exception {
        Path shm = Path.of("/dev/shm");
        Path build = Path.of("target").toAbsolutePath();
        Map<String, DiskSampler.Report> reports = sampler.sample(Map.of("etcd data", shm, "postgres data", build));
        assertNotEquals(reports.get("etcd data").device(), reports.get("postgres data").device(), reports.toString());
        assertEquals(List.of(), Colocation.warnings(reports));
    }
}
