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
    private static final Duration STOP_GRACE = Duration.ofSeconds(30);
    /** A program that ran this long before dying is restarted at once again, not after a grown backoff. */
    private static final long STABLE_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final int MAX_BACKOFF_SECONDS = 30;

    private final Path runDir;
    private final ScheduledExecutorService scheduler;
    private final Map<String, Child> children = new TreeMap<>();

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

    public Supervisor(Path runDir) {
        this.runDir = runDir;
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
    public static Optional<Long> livePid(Path pidFile) {
        return PidFile.read(pidFile).filter(PidFile::isAlive).map(PidFile::pid);
    }

    /**
     * What would change to bring the program to {@code spec}, without changing anything. Reads the pid file
     * when this supervisor does not manage the program (as in {@code pghactl plan}).
     */
    public synchronized List<String> check(ProcessSpec spec) {
        Child child = children.get(spec.name());
        Optional<PidFile> record = child != null && child.run != null
                ? Optional.of(child.run.record())
                : PidFile.read(pidFile(spec.name())).filter(PidFile::isAlive);
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
     * restart inputs changed, or reloads it (its reload signal) when only reloadable inputs changed.
     */
    public synchronized Action ensure(ProcessSpec spec) throws IOException {
        Child child = children.computeIfAbsent(spec.name(), n -> new Child());
        child.spec = spec;
        Action action = Action.NONE;
        if (child.run == null) {
            Optional<PidFile> found = PidFile.read(pidFile(spec.name())).filter(PidFile::isAlive);
            if (found.isPresent()) {
                Optional<ProcessHandle> handle = ProcessHandle.of(found.get().pid());
                if (handle.isPresent()) {
                    watch(spec.name(), child, new Run(handle.get(), Optional.empty(), found.get(), System.nanoTime()));
                    log.info("{}: adopted running pid {}", spec.name(), found.get().pid());
                    action = Action.ADOPTED;
                }
            }
        }
        if (child.run == null) {
            cancelPendingRestart(child);
            start(child);
            return Action.STARTED;
        }
        PidFile record = child.run.record();
        if (!record.restartDigest().equals(spec.restartDigest())) {
            log.info("{}: configuration changed, restarting pid {}", spec.name(), record.pid());
            terminate(child);
            start(child);
            return Action.RESTARTED;
        }
        if (!record.reloadDigest().equals(spec.reloadDigest())) {
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
        return action;
    }

    /** Stops a program on purpose: it is not restarted until {@link #ensure} is called again. */
    public synchronized void stop(String name) {
        Child child = children.remove(name);
        if (child != null) {
            cancelPendingRestart(child);
            terminate(child);
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

    /** Pid of the current run of {@code name}, if running. */
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
        List<String> argv = new ArrayList<>();
        // setsid: a new session, so that a signal to the agent's process group (Ctrl-C, a shell's kill) spares
        // the program. It does not fork here (our child is no group leader), so the pid stays the program's own.
        argv.add("/usr/bin/setsid");
        if (!spec.user().equals("root")) {
            argv.addAll(List.of("/usr/bin/setpriv", "--reuid=" + spec.user(), "--regid=" + primaryGroup(spec.user()),
                    "--init-groups", "--"));
        }
        argv.addAll(spec.command());
        Files.createDirectories(spec.logFile().getParent());
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

    /** The user's primary group id (not a group named like the user: nobody's is nogroup on Debian). */
    private static String primaryGroup(String user) throws IOException {
        Command.Outcome gid = Command.run(List.of("/usr/bin/id", "-g", "--", user), Duration.ofSeconds(10));
        if (!gid.ok()) {
            throw new IOException("no such user '" + user + "': " + gid.lastLine());
        }
        return gid.output().strip();
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

    /** SIGTERM, then SIGKILL after the grace period; the exit is not treated as a crash. */
    private void terminate(Child child) {
        Run run = child.run;
        child.run = null;
        if (run == null) {
            return;
        }
        run.handle().destroy();
        try {
            run.handle().onExit().get(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception timeoutOrInterrupt) {
            log.warn("{}: pid {} ignored SIGTERM for {} s, killing it", child.spec.name(), run.record().pid(),
                    STOP_GRACE.toSeconds());
            run.handle().destroyForcibly();
        }
        child.lastExit = "stopped by the agent";
    }

    private static void cancelPendingRestart(Child child) {
        if (child.pendingRestart != null) {
            child.pendingRestart.cancel(false);
            child.pendingRestart = null;
        }
    }
}
