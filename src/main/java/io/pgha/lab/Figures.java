package io.pgha.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A bench's figures. Each run keeps its rows apart until it finishes: a run that fails midway contributes no row to
 * any median, and is counted apart with why. The table names each row's n; its heading names the commit, the day, the
 * machine and the command, as bench/RESULTS.md wants every table to.
 */
public final class Figures {
    private final Map<String, List<Double>> rows = new LinkedHashMap<>();
    private final Map<String, int[]> runs = new LinkedHashMap<>();
    private final List<String> failures = new ArrayList<>();

    /** One run's rows, which join the medians only once the run has finished. */
    public static final class Run {
        private final Map<String, List<Double>> rows = new LinkedHashMap<>();

        public void add(String metric, double value) {
            rows.computeIfAbsent(metric, k -> new ArrayList<>()).add(value);
        }
    }

    /** What one run measures. */
    public interface Body {
        void run(Run run) throws Exception;
    }

    /** Runs {@code body} as one run of the kind {@code name}; whether it finished (its rows counted). */
    public boolean run(String name, Body body) {
        int[] count = runs.computeIfAbsent(name, k -> new int[2]);
        Run run = new Run();
        try {
            body.run(run);
        } catch (Exception e) {
            count[1]++;
            String why = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
            failures.add(name + ": " + why);
            System.err.println(name + " failed, its rows left out: " + why);
            return false;
        }
        count[0]++;
        run.rows.forEach((metric, values) -> rows.computeIfAbsent(metric, k -> new ArrayList<>()).addAll(values));
        return true;
    }

    /**
     * Each row: the median and range of the runs that finished, and their n; a "(1 = yes)" row counts the yeses
     * instead. Then per kind of run, how many finished and how many failed (left out), with the first reasons.
     */
    public String table() {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "| %-64s | %-10s | %-21s | %3s |%n",
                "figure", "median", "min-max", "n"));
        sb.append("|").append("-".repeat(66)).append("|").append("-".repeat(12)).append("|").append("-".repeat(23))
                .append("|").append("-".repeat(5)).append("|\n");
        rows.forEach((metric, values) -> {
            List<Double> sorted = values.stream().sorted().toList();
            String median = metric.endsWith("(1 = yes)")
                    ? fmt(sorted.stream().mapToDouble(Double::doubleValue).sum()) + " yes" : fmt(median(sorted));
            sb.append(String.format(Locale.ROOT, "| %-64s | %-10s | %-21s | %3d |%n", metric, median,
                    fmt(sorted.get(0)) + "-" + fmt(sorted.get(sorted.size() - 1)), sorted.size()));
        });
        runs.forEach((name, count) -> sb.append(String.format(Locale.ROOT, "%s: %d finished, %d failed (left out)%n",
                name, count[0], count[1])));
        failures.stream().limit(5).forEach(f -> sb.append("  failed: ").append(f).append('\n'));
        return sb.toString();
    }

    /** A bench's heading: what, at which commit, when, on what, and the command that made it. */
    public static String heading(String bench, String command) {
        return String.format(Locale.ROOT, "%s at %s, %s, %d cores%ncommand: %s%n", bench, commit(),
                LocalDate.now(), Runtime.getRuntime().availableProcessors(), command);
    }

    /** The checkout's commit, "+changes" when the work tree differs from it. */
    public static String commit() {
        String head = git("rev-parse", "--short", "HEAD");
        if (head.equals("unknown")) {
            return head;
        }
        return git("status", "--porcelain", "--untracked-files=no").isEmpty() ? head : head + "+changes";
    }

    private static String git(String... args) {
        List<String> argv = new ArrayList<>(List.of("git", "-C", Path.of("").toAbsolutePath().toString()));
        argv.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : "unknown";
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    static double median(List<Double> sorted) {
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e6 ? String.valueOf((long) d)
                : String.format(Locale.ROOT, "%.2f", d);
    }
}
