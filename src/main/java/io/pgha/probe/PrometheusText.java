package io.pgha.probe;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of Prometheus' text exposition format 0.0.4: every line is a # HELP, # TYPE or a sample; every
 * sample belongs to a family declared by # TYPE before it; names, labels and values have the format's shapes.
 * Throws IllegalArgumentException on the first line that does not. Reads etcd's /metrics; the tests read ours.
 */
public final class PrometheusText {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern SAMPLE = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)( -?\\d+)?");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"");
    private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary", "untyped");

    private PrometheusText() {
    }

    /** Sample name plus its label text ("name{a=\"b\"}") to value. */
    public static Map<String, Double> parse(String text) {
        Map<String, String> types = new HashMap<>();
        Map<String, Double> samples = new LinkedHashMap<>();
        int n = 0;
        for (String line : text.split("\n", -1)) {
            n++;
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
                String[] f = line.substring(7).split(" ", 2);
                require(NAME.matcher(f[0]).matches(), n, "bad metric name in: " + line);
                if (line.startsWith("# TYPE ")) {
                    require(f.length == 2 && TYPES.contains(f[1]), n, "bad type in: " + line);
                    require(types.put(f[0], f[1]) == null, n, "second TYPE for " + f[0]);
                }
                continue;
            }
            require(!line.startsWith("#"), n, "unknown comment form: " + line);
            Matcher m = SAMPLE.matcher(line);
            require(m.matches(), n, "not a sample: " + line);
            String name = m.group(1);
            String family = types.containsKey(name) ? name : name.replaceAll("_(total|created|count|sum|bucket)$", "");
            require(types.containsKey(family), n, "sample before its # TYPE: " + line);
            if (m.group(3) != null && !m.group(3).isEmpty()) {
                String labels = m.group(3).replaceAll(",$", "");
                for (String pair : labels.split(",(?=[a-zA-Z_][a-zA-Z0-9_]*=\")")) {
                    require(LABEL.matcher(pair).matches(), n, "bad label " + pair + " in: " + line);
                }
            }
            double value;
            try {
                value = switch (m.group(4)) {
                    case "+Inf" -> Double.POSITIVE_INFINITY;
                    case "-Inf" -> Double.NEGATIVE_INFINITY;
                    case "NaN" -> Double.NaN;
                    default -> Double.parseDouble(m.group(4));
                };
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("line " + n + ": bad value in: " + line);
            }
            require(samples.put(name + (m.group(2) == null ? "" : m.group(2)), value) == null, n, "duplicate: " + line);
        }
        return samples;
    }

    private static void require(boolean ok, int line, String what) {
        if (!ok) {
            throw new IllegalArgumentException("line " + line + ": " + what);
        }
    }
}
