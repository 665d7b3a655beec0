package io.pgha.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.model.ClusterRestore;
import io.pgha.resources.Result;
import io.pgha.resources.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataDirectoryAsideTest {
    private static final ClusterRestore RESTORE = new ClusterRestore("20261128T012300Z", ClusterRestore.STOP, "",
            "20261128-010000F");

    @TempDir
    Path dir;

    @Test
    void theDataDirectoryMovesAsideWholeAndLaterPassesSayWhere() throws Exception {
        Path data = Files.createDirectories(dir.resolve("15/data"));
        Files.writeString(data.resolve("PG_VERSION"), "15\n");
        DataDirectoryAside aside = new DataDirectoryAside(data, RESTORE);
        assertEquals(Status.CHANGED, aside.checkApply(false).status(), "a plan changes nothing");
        assertTrue(Files.exists(data.resolve("PG_VERSION")));

        Result moved = aside.apply();
        assertEquals(Status.CHANGED, moved.status(), moved.toString());
        Path kept = dir.resolve("15/data.before-restore-20261128T012300Z");
        assertEquals("15\n", Files.readString(kept.resolve("PG_VERSION")));
        assertTrue(!Files.exists(data));
        assertTrue(moved.message().endsWith(" " + kept), moved.message());

        Files.createDirectories(data);
        Result again = aside.apply();
        assertEquals(Status.OK, again.status());
        assertEquals("kept in " + kept, again.message());
    }

    @Test
    void aRunningPostmasterOrAnEarlierCopyKeepsTheDirectoryWhereItIs() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.writeString(data.resolve("postmaster.pid"), ProcessHandle.current().pid() + "\n" + data + "\n");
        DataDirectoryAside aside = new DataDirectoryAside(data, RESTORE);
        Result running = aside.apply();
        assertEquals(Status.FAILED, running.status());
        assertTrue(running.message().startsWith("Postgres still runs on " + data + " as pid "), running.message());

        Files.writeString(data.resolve("postmaster.pid"), "999999999\n");
        Files.createDirectories(aside.aside());
        Result taken = aside.apply();
        assertEquals(Status.FAILED, taken.status());
        assertTrue(taken.message().startsWith("expected " + aside.aside() + " not to exist"), taken.message());
        assertTrue(Files.exists(data.resolve("postmaster.pid")), "nothing moved");
    }
}
