package io.pgha.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LabImageTest {
    @Test
    void aRebuildNamesWhatTestingMovedAndAFirstBuildNothing() {
        Map<String, String> before = Map.of("patroni", "4.1.5-2", "postgresql-18", "18.6-3", "etcd-server", "3.5.30-2");
        Map<String, String> now = Map.of("patroni", "4.1.6-1", "postgresql-18", "18.6-3", "postgresql-19", "19.0-1");
        assertEquals(List.of("etcd-server 3.5.30-2 -> none", "patroni 4.1.5-2 -> 4.1.6-1",
                "postgresql-19 none -> 19.0-1"), LabImage.changes(before, now));
        assertEquals(List.of(), LabImage.changes(Map.of(), now));
    }

    @Test
    void eachBootedPlatformHasItsOwnImageAndTheLocalOneNone() {
        assertEquals(Optional.of(LabPlan.Os.FORKY), LabPlan.Os.named("forky"));
        assertEquals(Optional.empty(), LabPlan.Os.named(""), "the local platform is no --os word");
        assertEquals("trixie, forky", LabPlan.Os.names());
        LabImage forky = new LabImage(LabPlan.IMAGES, LabPlan.Os.FORKY);
        assertEquals(LabPlan.IMAGES.resolve("forky"), forky.dir());
        assertTrue(forky.packages().containsAll(List.of("postgresql-18", "openjdk-25-jre-headless", "python3-etcd")),
                forky.packages().toString());
        assertTrue(new LabImage(LabPlan.IMAGES, LabPlan.Os.TRIXIE).packages().contains("postgresql-17"));
        assertThrows(IllegalArgumentException.class, () -> new LabImage(LabPlan.IMAGES, LabPlan.Os.LOCAL));
    }
}
