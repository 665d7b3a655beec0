package io.pgha.resources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs against the host's real package database; installs nothing. */
class PackageResourceTest {
    private final PackageSources manager = new PackageSources(new Platform("test",
            "this machine, no repositories known", PackageManager.detect().orElseThrow(), java.util.List.of()));

    @Test
    void installedPackageIsOk() {
        PackageResource coreutils = new PackageResource(manager, List.of("coreutils"), List.of(), false);
        assertEquals(List.of(), coreutils.check());
        assertEquals(Status.OK, coreutils.apply().status());
    }

    @Test
    void missingPackageShowsInThePlan() {
        PackageResource missing = new PackageResource(manager, List.of("coreutils", "pgha-no-such-package"), List.of(),
                false);
        List<String> plan = missing.check();
        assertEquals(1, plan.size(), plan.toString());
        assertTrue(plan.get(0).startsWith("pgha-no-such-package: not installed"), plan.toString());
    }

    @Test
    void installFailureIsReportedNotThrown() {
        PackageResource missing = new PackageResource(manager, List.of("pgha-no-such-package"), List.of(), false);
        Result result = missing.apply();
        assertEquals(Status.FAILED, result.status());
        assertTrue(result.message().contains("pgha-no-such-package"), result.message());
    }
}
