package io.pgha.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgha.resources.DirectoryResource;
import io.pgha.resources.FileResource;
import io.pgha.resources.Owner;
import io.pgha.resources.Resource;
import io.pgha.resources.Result;
import io.pgha.resources.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Plan and apply are one pass: what plan lists is exactly what apply then changes, and nothing after. */
class ConvergerTest {
    @TempDir
    Path dir;

    @Test
    void planListsExactlyWhatApplyChanges() throws Exception {
        Owner root = new Owner("root", "root", 0700);
        Files.createDirectories(dir.resolve("kept"));
        Files.setPosixFilePermissions(dir.resolve("kept"), java.nio.file.attribute.PosixFilePermissions
                .fromString("rwx------"));
        List<Resource> resources = List.of(
                new DirectoryResource(dir.resolve("kept"), root),
                new DirectoryResource(dir.resolve("made"), root),
                FileResource.of(dir.resolve("made/a.conf"), "a = 1\n", new Owner("root", "root", 0600)));
        Converger converger = new Converger();

        List<Result> plan = converger.plan(resources);
        assertEquals(List.of("directory:" + dir.resolve("made"), "file:" + dir.resolve("made/a.conf")),
                plan.stream().map(Result::id).toList());
        assertEquals(false, Files.exists(dir.resolve("made")), "plan changes nothing");

        ConvergeRun run = converger.apply(resources);
        List<String> changed = run.results().stream().filter(r -> r.status() == Status.CHANGED).map(Result::id).toList();
        assertEquals(plan.stream().map(Result::id).toList(), changed);
        for (Result planned : plan) {
            Result applied = run.results().stream().filter(r -> r.id().equals(planned.id())).findFirst().orElseThrow();
            assertEquals(planned.diff(), applied.diff(), "apply acted on the differences plan showed");
        }
        assertEquals(List.of(), converger.plan(resources), "after apply, nothing left to do");
        assertEquals(0, converger.apply(resources).count(Status.CHANGED));
    }

    @Test
    void aFailureSkipsTheRestOnApplyButPlanLooksAtEverything() throws Exception {
        Path blocker = dir.resolve("blocker");
        Files.writeString(blocker, "a file where a directory should be");
        List<Resource> resources = List.of(
                FileResource.of(blocker.resolve("x.conf"), "x\n", new Owner("root", "root", 0600)),
                new DirectoryResource(dir.resolve("later"), new Owner("root", "root", 0755)));
        ConvergeRun run = new Converger().apply(resources);
        assertEquals(List.of(Status.FAILED, Status.SKIPPED), run.results().stream().map(Result::status).toList());
        assertEquals(2, new Converger().plan(resources).size());
    }
}
