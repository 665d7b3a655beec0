package io.pgha.supervise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real child processes: a shell loop that notes SIGHUP in its log. Runs as root, like the agent. */
class SupervisorTest {
    private static final List<String> LOOP = List.of("/bin/sh", "-c",
            "trap 'echo reloaded' HUP; echo started; while :; do sleep 1; done");

    @TempDir
    Path dir;

    private final java.util.List<Supervisor> supervisors = new java.util.ArrayList<>();

    private Supervisor supervisor() {
        Supervisor s = new Supervisor(dir.resolve("run"));
        supervisors.add(s);
        return s;
    }

    private ProcessSpec spec(String user, String restartDigest, String reloadDigest) {
        return new ProcessSpec("loop", user, LOOP, Map.of("PATH", "/usr/bin:/bin", "ONLY", "this"), dir,
                dir.resolve("log/loop.log"), restartDigest, reloadDigest, "HUP");
    }

    @AfterEach
    void stopEverything() {
        for (Supervisor s : supervisors) {
            s.stop("loop");
            s.close();
        }
    }

    @Test
    void startsAsTheUserWithOnlyItsEnvironment() throws Exception {
        Supervisor s = supervisor();
        ProcessSpec spec = spec("nobody", "a", "");
        assertEquals(List.of("loop: not running (would start)"), s.check(spec));
        assertEquals(Supervisor.Action.STARTED, s.ensure(spec));
        long pid = s.pid("loop").orElseThrow();
        assertTrue(Files.readString(s.pidFile("loop")).contains("\"pid\":" + pid));
        String status = Files.readString(Path.of("/proc", Long.toString(pid), "status"));
        String nobodyUid = Command.run(List.of("id", "-u", "nobody"), Duration.ofSeconds(5)).output().strip();
        assertTrue(status.lines().anyMatch(l -> l.matches("Uid:\\s+" + nobodyUid + "\\s.*")), status);
        String environ = Files.readString(Path.of("/proc", Long.toString(pid), "environ")).replace('\0', '\n');
        assertEquals("PATH=/usr/bin:/bin\nONLY=this\n".lines().sorted().toList(), environ.lines().sorted().toList());
        waitFor(() -> logContains("started"), "the program's output in its log file");
        assertEquals(List.of(), s.check(spec));
        assertEquals(Supervisor.Action.NONE, s.ensure(spec));
        assertEquals(pid, s.pid("loop").orElseThrow());
    }

    @Test
    void aNewSupervisorAdoptsInsteadOfStartingASecondCopy() throws Exception {
        Supervisor first = supervisor();
        first.ensure(spec("root", "a", ""));
        long pid = first.pid("loop").orElseThrow();
        first.close();

        Supervisor second = supervisor();
        assertEquals(List.of(), second.check(spec("root", "a", "")), "check reads the pid file");
        assertEquals(Supervisor.Action.ADOPTED, second.ensure(spec("root", "a", "")));
        assertEquals(pid, second.pid("loop").orElseThrow());
        assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
    }

    @Test
    void restartsWhenARestartInputChanges() throws Exception {
        Supervisor s = supervisor();
        s.ensure(spec("root", "a", ""));
        long before = s.pid("loop").orElseThrow();
        assertEquals(List.of("loop: configuration changed since start (would restart pid " + before + ")"),
                s.check(spec("root", "b", "")));
        assertEquals(Supervisor.Action.RESTARTED, s.ensure(spec("root", "b", "")));
        long after = s.pid("loop").orElseThrow();
        assertNotEquals(before, after);
        waitFor(() -> ProcessHandle.of(before).isEmpty() || !ProcessHandle.of(before).get().isAlive(),
                "old pid " + before + " gone");
    }

    @Test
    void reloadsWithSighupWhenOnlyAReloadInputChanges() throws Exception {
        Supervisor s = supervisor();
        s.ensure(spec("root", "a", "r1"));
        long pid = s.pid("loop").orElseThrow();
        waitFor(() -> logContains("started"), "program started");
        assertEquals(Supervisor.Action.RELOADED, s.ensure(spec("root", "a", "r2")));
        assertEquals(pid, s.pid("loop").orElseThrow());
        waitFor(() -> logContains("reloaded"), "SIGHUP seen by the program");
        assertEquals(Supervisor.Action.NONE, s.ensure(spec("root", "a", "r2")));
    }

    @Test
    void restartsACrashedProgramWithBackoff() throws Exception {
        Supervisor s = supervisor();
        s.ensure(spec("root", "a", ""));
        long pid = s.pid("loop").orElseThrow();
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        waitFor(() -> s.pid("loop").filter(p -> p != pid).isPresent(), "a new pid after the crash");
        ProcessState state = s.states().get(0);
        assertEquals(ProcessState.RUNNING, state.state());
        assertEquals(1, state.restarts());
        assertEquals("exit code 137", state.lastExit());
    }

    @Test
    void stopIsFinal() throws Exception {
        Supervisor s = supervisor();
        s.ensure(spec("root", "a", ""));
        long pid = s.pid("loop").orElseThrow();
        s.stop("loop");
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        assertEquals(List.of(), s.states());
    }

    private boolean logContains(String text) {
        try {
            return Files.readString(dir.resolve("log/loop.log")).contains(text);
        } catch (java.io.IOException e) {
            return false;
        }
    }

    static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("not seen within 15 s: " + what);
    }
}
