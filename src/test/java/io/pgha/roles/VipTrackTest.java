package io.pgha.roles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.pgha.model.Health;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VipTrackTest {
    private static final Health.Haproxy ROUTING = new Health.Haproxy(Map.of("primary", Map.of("pg1", "UP",
            "pg2", "DOWN"), "replicas", Map.of("pg1", "DOWN", "pg2", "UP")));
    private static final Health.Haproxy NO_LEADER = new Health.Haproxy(Map.of("primary", Map.of("pg1", "DOWN"),
            "replicas", Map.of("pg1", "UP")));
    private static final Health.Haproxy CUT_OFF = new Health.Haproxy(Map.of("primary", Map.of("pg1", "DOWN"),
            "replicas", Map.of("pg1", "DOWN")));
    private static final Health.Haproxy SILENT = new Health.Haproxy(Map.of());

    @TempDir
    Path dir;

    private String word() throws Exception {
        return Files.readString(dir.resolve("health")).strip();
    }

    @Test
    void aHostStandsDownAfterTwoBadProbesAndOffersItselfAgainAtTheFirstGoodOne() throws Exception {
        VipTrack track = new VipTrack(dir.resolve("health"));
        assertEquals(Optional.empty(), track.update(ROUTING));
        assertEquals("0", word());
        // One probe during a reload moves nothing.
        assertEquals(Optional.empty(), track.update(SILENT));
        assertEquals("0", word());
        assertEquals(Optional.of("HAProxy not answering"), track.update(SILENT));
        assertEquals("254", word());
        assertEquals(Optional.of("HAProxy reaches no data host"), track.update(CUT_OFF));
        assertEquals("254", word());
        assertEquals(Optional.empty(), track.update(ROUTING));
        assertEquals("0", word());
    }

    @Test
    void theFirstBadProbeLeavesKeepalivedsStartingFaultInPlace() throws Exception {
        VipTrack track = new VipTrack(dir.resolve("health"));
        track.update(CUT_OFF);
        assertFalse(Files.exists(dir.resolve("health")), "keepalived's init_file (FAULT) stays until confirmed");
    }

    @Test
    void aClusterWithoutALeaderKeepsTheAddressWhereItIs() throws Exception {
        VipTrack track = new VipTrack(dir.resolve("health"));
        track.update(NO_LEADER);
        assertEquals(Optional.empty(), track.update(NO_LEADER), "every lb host sees the same; moving helps nobody");
        assertEquals("0", word());
    }
}
