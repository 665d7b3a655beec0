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
import java.util.Optional;
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
    void stopEverything() throws Exception {
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
        // Until the program itself runs (it logs "started"), the pid may still be the launching env, as root.
        waitFor(() -> logContains("started"), "the program's output in its log file");
        String status = Files.readString(Path.of("/proc", Long.toString(pid), "status"));
        String nobodyUid = Command.run(List.of("id", "-u", "nobody"), Duration.ofSeconds(5)).output().strip();
        assertTrue(status.lines().anyMatch(l -> l.matches("Uid:\\s+" + nobodyUid + "\\s.*")), status);
        String environ = Files.readString(Path.of("/proc", Long.toString(pid), "environ")).replace('\0', '\n');
        assertEquals("PATH=/usr/bin:/bin\nONLY=this\n".lines().sorted().toList(), environ.lines().sorted().toList());
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
        List<String> steps = new java.util.ArrayList<>();
        assertEquals(Supervisor.Action.RELOADED, s.ensure(spec("root", "a", "r2").withSteps(recording(steps))));
        assertEquals(List.of("before reload"), steps, "the step before the reload ran once");
        assertEquals(pid, s.pid("loop").orElseThrow());
        waitFor(() -> logContains("reloaded"), "SIGHUP seen by the program");
        assertEquals(Supervisor.Action.NONE, s.ensure(spec("root", "a", "r2").withSteps(recording(steps))));
        assertEquals(List.of("before reload"), steps, "no step without a reload");
        assertEquals(Supervisor.Action.RELOADED, s.ensure(spec("root", "a", "r3").withSteps(new ProgramSteps() {
            @Override
            public void beforeReload() throws java.io.IOException {
                throw new java.io.IOException("nothing to save");
            }
        })), "a failed step does not hold the new configuration back");
        assertEquals(Supervisor.Action.RESTARTED, s.ensure(spec("root", "b", "r3").withSteps(recording(steps))));
        assertEquals(List.of("before reload", "before start"), steps, "a restart starts afresh");
    }

    private static ProgramSteps recording(List<String> steps) {
        return new ProgramSteps() {
            @Override
            public void beforeStart() {
                steps.add("before start");
            }

            @Override
            public void beforeReload() {
                steps.add("before reload");
            }
        };
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

    @Test
    void statusReadsGoOnWhileAProgramTakesItsTimeToStop() throws Exception {
        Supervisor s = supervisor();
        ProcessSpec stubborn = new ProcessSpec("loop", "root", List.of("/bin/sh", "-c",
                "trap '' TERM; echo started; while :; do sleep 1; done"), Map.of("PATH", "/usr/bin:/bin"), dir,
                dir.resolve("log/loop.log"), "a", "", "HUP");
        s.ensure(stubborn);
        long pid = s.pid("loop").orElseThrow();
        waitFor(() -> logContains("started"), "the trap is set");
        Thread stopper = new Thread(() -> {
            try {
                s.stop("loop");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        stopper.start();
        waitFor(() -> s.states().isEmpty(), "the program no longer listed once its stop began");
        assertEquals(List.of(), s.states());
        assertEquals(Optional.empty(), s.pid("loop"));
        // The stop waits out its grace period (SIGTERM is ignored): the reads above did not wait for it.
        assertTrue(stopper.isAlive(), "the stop is still under way");
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        stopper.join(10_000);
        assertFalse(stopper.isAlive(), "the stop ends when the program does");
    }

    @Test
    void anUnreadablePidFileIsNeverTakenForNotRunning() throws Exception {
        Supervisor s = supervisor();
        java.nio.file.Files.createDirectories(dir.resolve("run"));
        java.nio.file.Files.writeString(s.pidFile("loop"), "{\"pid\": ");
        java.io.IOException refused = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> s.ensure(spec("root", "a", "")));
        assertTrue(refused.getMessage().contains("cannot be read"), refused.getMessage());
        assertTrue(s.check(spec("root", "a", "")).get(0).contains("would not start a second copy"),
                s.check(spec("root", "a", "")).toString());
        assertEquals(java.util.Optional.empty(), s.pid("loop"), "nothing was started");
        assertFalse(java.nio.file.Files.exists(dir.resolve("log/loop.log")), "nothing was started");
        org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> s.stop("loop"),
                "nor stopped: the pid file does not say which process it is");
        java.nio.file.Files.delete(s.pidFile("loop"));
    }

    @Test
    void stopReachesAProgramStartedByAnEarlierAgent() throws Exception {
        Supervisor first = supervisor();
        first.ensure(spec("root", "a", ""));
        long pid = first.pid("loop").orElseThrow();
        first.close();

        Supervisor second = supervisor();
        assertEquals(java.util.Optional.of(pid), second.runningPid("loop"), "known by its pid file before adoption");
        assertEquals(java.util.Optional.of(pid), second.stop("loop"));
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        assertEquals(java.util.Optional.empty(), second.runningPid("loop"));
        assertEquals(java.util.Optional.empty(), second.stop("loop"), "nothing left to stop");
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
