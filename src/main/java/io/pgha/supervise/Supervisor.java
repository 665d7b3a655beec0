package io.pgha.supervise;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps programs running as children of the agent: starts them as their own user with a clean environment,
 * restarts them with backoff when they die, and records pid files so that a new agent adopts what the old one
 * started. Closing the supervisor never stops a program: only {@link #stop} does.
 */
public final class Supervisor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Supervisor.class);
    /** Patroni stops Postgres before it exits: give it time for a checkpoint. */
    private static final Duration STOP_GRACE = Duration.ofSeconds(60);
    /** A program that ran this long before dying is restarted at once again, not after a grown backoff. */
    private static final long STABLE_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final int MAX_BACKOFF_SECONDS = 30;

    private final Path runDir;
    /** coreutils 8.31+ (Debian 11+, EL9) resets signals on exec; EL8's cannot, where the agent runs under systemd. */
    private final boolean resetsSignals;
    private final ScheduledExecutorService scheduler;
    /** Guarded by this: the children's state, which status reads take briefly. */
    private final Map<String, Child> children = new TreeMap<>();
    /** Held by ensure and stop for their whole run (which may wait for a program to stop), never by readers. */
    private final Object operations = new Object();

    /** One supervised program; {@code run} is null while it is not running. */
    private static final class Child {
        ProcessSpec spec;
        Run run;
        int restarts;
        int quickFailures;
        String lastExit = "";
        ScheduledFuture<?> pendingRestart;
    }

    /** One incarnation of a program; an exit of an incarnation that is no longer current is ignored. */
    private record Run(ProcessHandle handle, Optional<Process> process, PidFile record, long startedNanos) {
    }

    public enum Action { NONE, STARTED, RESTARTED, RELOADED, ADOPTED }

    private static boolean resetsSignals() {
        try {
            return Command.run(List.of("/usr/bin/env", "--default-signal", "/bin/true"), Duration.ofSeconds(5)).ok();
        } catch (IOException e) {
            return false;
        }
    }

    public Supervisor(Path runDir) {
        this.runDir = runDir;
        this.resetsSignals = resetsSignals();
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "supervisor");
            t.setDaemon(true);
            return t;
        });
    }

    public Path pidFile(String name) {
        return runDir.resolve(name + ".pid");
    }

    /** The pid recorded in a pid file, while that very process runs (a recycled pid does not count). */
    /** The pid a pid file records, alive or not (the process may live in another pid namespace). */
    public static Optional<Long> recordedPid(Path pidFile) {
        try {
            return PidFile.read(pidFile).map(PidFile::pid);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    public static Optional<Long> livePid(Path pidFile) {
        try {
            return PidFile.read(pidFile).filter(PidFile::isAlive).map(PidFile::pid);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * What would change to bring the program to {@code spec}, without changing anything. Reads the pid file
     * when this supervisor does not manage the program (as in {@code pghactl plan}).
     */
    public synchronized List<String> check(ProcessSpec spec) {
        Child child = children.get(spec.name());
        Optional<PidFile> record;
        try {
            record = child != null && child.run != null ? Optional.of(child.run.record())
                    : PidFile.read(pidFile(spec.name())).filter(PidFile::isAlive);
        } catch (IOException e) {
            return List.of(spec.name() + ": " + e.getMessage() + " (would not start a second copy)");
        }
        if (record.isEmpty()) {
            return List.of(spec.name() + ": not running (would start)");
        }
        List<String> diff = new ArrayList<>();
        if (!record.get().restartDigest().equals(spec.restartDigest())) {
            diff.add(spec.name() + ": configuration changed since start (would restart pid " + record.get().pid() + ")");
        } else if (!record.get().reloadDigest().equals(spec.reloadDigest())) {
            diff.add(spec.name() + ": configuration changed since start (would reload pid " + record.get().pid() + ")");
        }
        return diff;
    }

    /**
     * Brings the program to {@code spec}: adopts it from its pid file, starts it, restarts it when its
     * restart inputs changed, or reloads it (its reload signal) when only reloadable inputs changed. A pid file that
     * exists but cannot be read is an error, never "not running": that would start a second copy.
     */
    public Action ensure(ProcessSpec spec) throws IOException {
        synchronized (operations) {
            Run stopping;
            synchronized (this) {
                Child child = children.computeIfAbsent(spec.name(), n -> new Child());
                child.spec = spec;
                Action action = Action.NONE;
                if (child.run == null) {
                    Optional<Run> found = recorded(spec.name());
                    if (found.isPresent()) {
                        watch(spec.name(), child, found.get());
                        log.info("{}: adopted running pid {}", spec.name(), found.get().record().pid());
                        action = Action.ADOPTED;
                    }
                }
                if (child.run == null) {
                    cancelPendingRestart(child);
                    start(child);
                    return Action.STARTED;
                }
                PidFile record = child.run.record();
                if (record.restartDigest().equals(spec.restartDigest())) {
                    return record.reloadDigest().equals(spec.reloadDigest()) ? action : reload(child, spec, record);
                }
                log.info("{}: configuration changed, restarting pid {}", spec.name(), record.pid());
                stopping = child.run;
                child.run = null;
            }
            // Waited for outside the state lock: status reads go on while a program takes its time to stop.
            terminate(spec.name(), stopping);
            synchronized (this) {
                Child child = children.computeIfAbsent(spec.name(), n -> new Child());
                child.lastExit = "stopped by the agent for a configuration change";
                start(child);
            }
            return Action.RESTARTED;
        }
    }

    private Action reload(Child child, ProcessSpec spec, PidFile record) throws IOException {
        try {
            spec.steps().beforeReload();
        } catch (IOException | RuntimeException e) {
            // The new configuration must take effect all the same; what the step would have kept is lost.
            log.warn("{}: before its reload: {}; reloading all the same", spec.name(), e.getMessage());
        }
        Command.Outcome sent = Command.run(List.of("/usr/bin/kill", "-s", spec.reloadSignal(),
                Long.toString(record.pid())), Duration.ofSeconds(5));
        if (!sent.ok()) {
            throw new IOException("could not signal " + spec.name() + " pid " + record.pid() + ": " + sent.lastLine());
        }
        PidFile updated = new PidFile(record.pid(), record.startTicks(), record.restartDigest(), spec.reloadDigest());
        updated.write(pidFile(spec.name()));
        child.run = new Run(child.run.handle(), child.run.process(), updated, child.run.startedNanos());
        log.info("{}: configuration reloaded (SIG{} to pid {})", spec.name(), spec.reloadSignal(), record.pid());
        return Action.RELOADED;
    }

    /**
     * The pid of {@code name} if it runs: started or adopted by this supervisor, else recorded in its pid file (as
     * after an agent restart, before the first converge).
     */
    public Optional<Long> runningPid(String name) throws IOException {
        return runningRecord(name).map(PidFile::pid);
    }

    /** The restart digest {@code name} runs with, if it runs: what its configuration was when it started. */
    public Optional<String> runningRestartDigest(String name) throws IOException {
        return runningRecord(name).map(PidFile::restartDigest);
    }

    /** What was recorded of {@code name} when it started, if it runs: this supervisor's child, else its pid file. */
    private Optional<PidFile> runningRecord(String name) throws IOException {
        synchronized (this) {
            Child c = children.get(name);
            if (c != null && c.run != null) {
                return Optional.of(c.run.record());
            }
        }
        return PidFile.read(pidFile(name)).filter(PidFile::isAlive);
    }

    /**
     * Stops a program on purpose (SIGTERM, SIGKILL after the grace period): it is not restarted until {@link #ensure}
     * is called again. Also stops a program this supervisor has not adopted yet, by its pid file. Returns the pid
     * stopped, if one ran.
     */
    public Optional<Long> stop(String name) throws IOException {
        synchronized (operations) {
            Run run;
            synchronized (this) {
                Child child = children.remove(name);
                run = child == null ? null : child.run;
                if (child != null) {
                    cancelPendingRestart(child);
                    child.run = null;
                }
            }
            if (run == null) {
                Optional<Run> found = recorded(name);
                if (found.isEmpty()) {
                    return Optional.empty();
                }
                run = found.get();
            }
            // The pid file stays: it tells this host's agent that it once ran the program, and what it stopped.
            terminate(name, run);
            return Optional.of(run.record().pid());
        }
    }

    public synchronized List<ProcessState> states() {
        List<ProcessState> out = new ArrayList<>();
        children.forEach((name, c) -> {
            String state = c.run != null ? ProcessState.RUNNING : c.pendingRestart != null ? ProcessState.BACKOFF
                    : ProcessState.STOPPED;
            out.add(new ProcessState(name, state, c.run == null ? 0 : c.run.record().pid(), c.restarts, c.lastExit));
        });
        return out;
    }

    /** The program its pid file records, while that very process runs: one this supervisor did not start. */
    private Optional<Run> recorded(String name) throws IOException {
        Optional<PidFile> found = PidFile.read(pidFile(name)).filter(PidFile::isAlive);
        return found.flatMap(f -> ProcessHandle.of(f.pid())
                .map(handle -> new Run(handle, Optional.empty(), f, System.nanoTime())));
    }

    /** Pid of the current run of {@code name}, if this supervisor runs it. */
    public synchronized Optional<Long> pid(String name) {
        Child c = children.get(name);
        return c == null || c.run == null ? Optional.empty() : Optional.of(c.run.record().pid());
    }

    /** Stops supervising; the programs keep running and the next agent adopts them. */
    @Override
    public void close() {
        scheduler.shutdownNow();
    }

    private void start(Child child) throws IOException {
        ProcessSpec spec = child.spec;
        try {
            spec.steps().beforeStart();
        } catch (IOException | RuntimeException e) {
            log.warn("{}: before its start: {}; starting all the same", spec.name(), e.getMessage());
        }
        List<String> argv = new ArrayList<>();
        // setsid: a new session, so that a signal to the agent's process group (Ctrl-C, a shell's kill) spares
        // the program. It does not fork here (our child is no group leader), so the pid stays the program's own.
        argv.add("/usr/bin/setsid");
        // A signal the agent was started with ignored (SIGHUP under nohup, SIGINT from a shell's background job)
        // would stay ignored in the program, which then could never be reloaded: reset every signal first.
        if (resetsSignals) {
            argv.addAll(List.of("/usr/bin/env", "--default-signal"));
        }
        argv.addAll(spec.user().equals("root") ? spec.command() : Command.asUser(spec.user(), spec.command()));
        Files.createDirectories(spec.logFile().getParent());
        // A program's log may hold what its users typed (PostgreSQL's server log holds statements): root's only.
        if (!Files.exists(spec.logFile())) {
            Files.createFile(spec.logFile());
        }
        Files.setPosixFilePermissions(spec.logFile(), java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
        ProcessBuilder pb = new ProcessBuilder(argv)
                .directory(spec.workDir().toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(spec.logFile().toFile()));
        pb.environment().clear();
        pb.environment().putAll(spec.env());
        Process process = pb.start();
        long ticks = Procs.startTicks(process.pid()).orElse(0L);
        PidFile record = new PidFile(process.pid(), ticks, spec.restartDigest(), spec.reloadDigest());
        record.write(pidFile(spec.name()));
        watch(spec.name(), child, new Run(process.toHandle(), Optional.of(process), record, System.nanoTime()));
        log.info("{}: started pid {} as {} (log {})", spec.name(), process.pid(), spec.user(), spec.logFile());
    }

    private void watch(String name, Child child, Run run) {
        child.run = run;
        // Async: the exit callback takes our lock and must not stall the JDK's process reaper thread.
        run.handle().onExit().thenRunAsync(() -> exited(name, run));
    }

    private synchronized void exited(String name, Run run) {
        Child child = children.get(name);
        if (child == null || child.run != run) {
            return;
        }
        child.run = null;
        child.lastExit = run.process().map(p -> "exit code " + p.exitValue()).orElse("exited (adopted, code unknown)");
        boolean quick = System.nanoTime() - run.startedNanos() < STABLE_NANOS;
        child.quickFailures = quick ? child.quickFailures + 1 : 0;
        long delay = Math.min(MAX_BACKOFF_SECONDS, 1L << Math.min(child.quickFailures, 5));
        log.warn("{}: pid {} died ({}); restarting in {} s", name, run.record().pid(), child.lastExit, delay);
        child.pendingRestart = scheduler.schedule(() -> restartAfterBackoff(name, child), delay, TimeUnit.SECONDS);
    }

    private synchronized void restartAfterBackoff(String name, Child child) {
        if (children.get(name) != child || child.run != null) {
            return;
        }
        child.pendingRestart = null;
        try {
            child.restarts++;
            start(child);
        } catch (IOException e) {
            child.lastExit = "restart failed: " + e.getMessage();
            log.error("{}: restart failed: {}", name, e.getMessage());
            child.pendingRestart = scheduler.schedule(() -> restartAfterBackoff(name, child), MAX_BACKOFF_SECONDS,
                    TimeUnit.SECONDS);
        }
    }

    /** SIGTERM, then SIGKILL after the grace period; the caller has already let go of the run, so no crash. */
    private static void terminate(String name, Run run) {
        run.handle().destroy();
        try {
            run.handle().onExit().get(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            run.handle().destroyForcibly();
        } catch (Exception timeout) {
            log.warn("{}: pid {} ignored SIGTERM for {} s, killing it", name, run.record().pid(), STOP_GRACE.toSeconds());
            run.handle().destroyForcibly();
        }
    }

    private static void cancelPendingRestart(Child child) {
        if (child.pendingRestart != null) {
            child.pendingRestart.cancel(false);
            child.pendingRestart = null;
        }
    }
}
