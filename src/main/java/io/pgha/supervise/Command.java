package io.pgha.supervise;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a program to completion with an argv list (never a shell) and a minimal environment. */
public final class Command {
    private static final Map<String, String> BASE_ENV = Map.of(
            "PATH", "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL", "C.UTF-8");
    private static final int MAX_OUTPUT = 64 * 1024;

    private Command() {
    }

    public record Outcome(int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }

        /** The last line of output, for one-line error reasons. */
        public String lastLine() {
            String trimmed = output.strip();
            int nl = trimmed.lastIndexOf('\n');
            return nl < 0 ? trimmed : trimmed.substring(nl + 1);
        }
    }

    /** {@code argv} run as {@code user} (its primary group, its supplementary groups): for a caller that is root. */
    public static List<String> asUser(String user, List<String> argv) throws IOException {
        List<String> all = new java.util.ArrayList<>(List.of("/usr/bin/setpriv", "--reuid=" + user,
                "--regid=" + primaryGroup(user), "--init-groups", "--"));
        all.addAll(argv);
        return all;
    }

    /** The user's primary group id (not a group named like the user: nobody's is nogroup on Debian). */
    static String primaryGroup(String user) throws IOException {
        Outcome gid = run(List.of("/usr/bin/id", "-g", "--", user), Duration.ofSeconds(10));
        if (!gid.ok()) {
            throw new IOException("no such user '" + user + "': " + gid.lastLine());
        }
        return gid.output().strip();
    }

    public static Outcome run(List<String> argv, Duration timeout) throws IOException {
        return run(argv, Map.of(), timeout);
    }

    /** Runs a command that must succeed: a non-zero exit fails with the command, its exit code and last line. */
    public static Outcome check(List<String> argv, Duration timeout) throws IOException {
        Outcome out = run(argv, timeout);
        if (!out.ok()) {
            throw new IOException(String.join(" ", argv) + " failed (exit " + out.exitCode() + "): " + out.lastLine());
        }
        return out;
    }

    /** Output (stdout and stderr together, the last 64 KiB) goes through a temp file; past the timeout the program is killed. */
    public static Outcome run(List<String> argv, Map<String, String> extraEnv, Duration timeout) throws IOException {
        return runIn(null, argv, extraEnv, timeout);
    }

    /** {@link #run(List, Map, Duration)} in the working directory {@code directory} (null: the agent's own). */
    public static Outcome runIn(Path directory, List<String> argv, Map<String, String> extraEnv, Duration timeout)
            throws IOException {
        Path out = Files.createTempFile("pgha-cmd", ".out");
        try {
            ProcessBuilder pb = new ProcessBuilder(argv).directory(directory == null ? null : directory.toFile())
                    .redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile());
            pb.environment().clear();
            pb.environment().putAll(BASE_ENV);
            pb.environment().putAll(extraEnv);
            Process process = pb.start();
            try {
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    throw new IOException(argv.get(0) + " did not finish within " + timeout.toSeconds() + " s");
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while running " + argv.get(0), e);
            }
            byte[] bytes = Files.readAllBytes(out);
            int from = Math.max(0, bytes.length - MAX_OUTPUT);
            return new Outcome(process.exitValue(), new String(bytes, from, bytes.length - from, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
