package io.pgha.agent;

import io.pgha.model.HostPaths;
import io.pgha.supervise.Command;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The last lines of a program's log on this host, for {@code pghactl logs}: the supervised programs' files under
 * /var/log/pgha-agent, Postgres' lines out of Patroni's (Postgres logs to Patroni's output), and the agent's own
 * journal (or, where it does not run under systemd, the file PGHA_AGENT_LOG names, as the lab sets).
 */
public final class HostLogs {
    public static final List<String> PROGRAMS = List.of("agent", "patroni", "postgres", "etcd", "haproxy", "keepalived",
            "pgbouncer");
    public static final int MAX_LINES = 10_000;
    /** How far back from a log's end a tail reads at most: bounds the work of one request. */
    private static final int MAX_BYTES = 8 * 1024 * 1024;
    /** Patroni's own lines ("2026-12-06 05:01:02,123 INFO: ..."); every other line of its output is Postgres'. */
    private static final Pattern PATRONI_LINE =
            Pattern.compile("^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3} [A-Z]+: ");

    private final HostPaths paths;
    private final Optional<Path> agentLog;

    /** @param agentLog the file the agent's own output goes to, when not the journal */
    HostLogs(HostPaths paths, Optional<Path> agentLog) {
        this.paths = paths;
        this.agentLog = agentLog;
    }

    /**
     * What is wrong with a request for {@code lines} lines of {@code program}, named by the caller's fields (the
     * API's query parameters, pghactl's options); empty when nothing is.
     */
    public static Optional<String> invalid(String programField, String program, String linesField, int lines) {
        if (!PROGRAMS.contains(program)) {
            return Optional.of(programField + ": expected one of " + PROGRAMS + ", found '"
                    + program.replaceAll("[^ -~]", "?") + "'");
        }
        if (lines < 1 || lines > MAX_LINES) {
            return Optional.of(linesField + ": expected 1 to " + MAX_LINES + ", found " + lines);
        }
        return Optional.empty();
    }

    /** The log's last {@code lines} lines; empty when this host has no such log (the program does not run here). */
    Optional<List<String>> tail(String program, int lines) throws IOException {
        switch (program) {
            case "agent":
                if (agentLog.isPresent()) {
                    return Optional.of(last(agentLog.get(), lines, l -> true));
                }
                Command.Outcome journal = Command.run(List.of("journalctl", "--unit", "pgha-agent", "--lines",
                        Integer.toString(lines), "--no-pager", "--output", "short-iso"), Duration.ofSeconds(10));
                if (!journal.ok()) {
                    throw new IOException("journalctl --unit pgha-agent: exit " + journal.exitCode() + ": "
                            + journal.lastLine());
                }
                return Optional.of(Arrays.asList(journal.output().split("\n")));
            case "postgres":
                Path patroni = paths.logDir().resolve("patroni.log");
                return Files.exists(patroni)
                        ? Optional.of(last(patroni, lines, l -> !PATRONI_LINE.matcher(l).find())) : Optional.empty();
            default:
                Path file = paths.logDir().resolve(program + ".log");
                return Files.exists(file) ? Optional.of(last(file, lines, l -> true)) : Optional.empty();
        }
    }

    /** The last {@code lines} lines {@code keep} accepts, reading back from the end at most {@link #MAX_BYTES}. */
    static List<String> last(Path file, int lines, java.util.function.Predicate<String> keep) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long length = f.length();
            long from = Math.max(0, length - MAX_BYTES);
            byte[] bytes = new byte[(int) (length - from)];
            f.seek(from);
            f.readFully(bytes);
            List<String> all = new ArrayList<>(Arrays.asList(new String(bytes, StandardCharsets.UTF_8).split("\n")));
            if (from > 0 && !all.isEmpty()) {
                all.remove(0);
            }
            List<String> kept = all.stream().filter(keep).toList();
            return kept.subList(Math.max(0, kept.size() - lines), kept.size());
        }
    }
}
