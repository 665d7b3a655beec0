package io.pgha.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** On this machine's real disks: the device behind a path, with rates from the second sample on. */
class DiskSamplerTest {
    @Test
    void aPathMapsToItsDeviceAndRatesFollow() throws Exception {
        Path data = Path.of("target").toAbsolutePath();
        Path notYet = data.resolve("not/created/yet");
        DiskSampler sampler = new DiskSampler();
        Map<String, DiskSampler.Report> first = sampler.sample(Map.of("data", data, "future", notYet));
        DiskSampler.Report report = first.get("data");
        assertFalse(report.device().isEmpty());
        assertFalse(report.device().startsWith("/dev/"), "a short device name: " + report.device());
        assertTrue(report.freeBytes() > 0 && report.totalBytes() >= report.freeBytes(), report.toString());
        assertEquals(report.device(), first.get("future").device(), "a missing directory is on its parent's device");
        Files.writeString(data.resolve("disk-sampler-test.tmp"), "x".repeat(100_000));
        Thread.sleep(1100);
        Map<String, DiskSampler.Report> second = sampler.sample(Map.of("data", data));
        Files.deleteIfExists(data.resolve("disk-sampler-test.tmp"));
        if (!report.device().equals(Files.getFileStore(data).name())) {
            DiskRates rates = second.get("data").rates().orElseThrow(() -> new AssertionError(second.toString()));
            assertTrue(rates.busyPercent() >= 0 && rates.busyPercent() <= 100, rates.toString());
            assertTrue(rates.readsPerSecond() >= 0 && rates.writesPerSecond() >= 0, rates.toString());
        }
    }
}
