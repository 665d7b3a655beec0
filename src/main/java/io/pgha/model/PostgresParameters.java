package io.pgha.model;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parameters one PostgreSQL version knows, with type, unit, range and enum values as PostgreSQL itself gives them:
 * the tables under {@code postgres-parameters/} (pg_settings of each major the platforms ship, refreshed by
 * .ci/refresh-postgres-parameters), or a data host's own binary ({@code postgres --describe-config}, without units or
 * enum values). A spec's value is checked as PostgreSQL would parse it, so a typo or an impossible value is refused
 * before any host gets it instead of waiting for a reload for ever.
 *
 * @param version the version the table was taken from, "18.6"
 * @param byName     the parameters by lower-case name
 * @param unitsKnown whether the table has units and enum values (pg_settings), or not (--describe-config)
 */
public record PostgresParameters(String version, Map<String, Parameter> byName, boolean unitsKnown) {
    private static final Pattern NUMBER = Pattern.compile("\\s*([-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][-+]?\\d+)?)"
            + "\\s*([a-zA-Z]*)\\s*");
    private static final Pattern HEX = Pattern.compile("\\s*0[xX][0-9a-fA-F]+\\s*");
    private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\) (\\d+\\.\\d+)");
    /** PostgreSQL's memory units in bytes and time units in microseconds (guc.c); unit names are case-sensitive. */
    private static final Map<String, Long> MEMORY = Map.of("B", 1L, "kB", 1024L, "MB", 1L << 20, "GB", 1L << 30,
            "TB", 1L << 40);
    private static final Map<String, Long> TIME = Map.of("us", 1L, "ms", 1000L, "s", 1_000_000L, "min", 60_000_000L,
            "h", 3_600_000_000L, "d", 86_400_000_000L);
    private static final Set<String> BOOLEAN_WORDS = Set.of("on", "off", "true", "false", "yes", "no", "1", "0");
    private static final Map<Integer, PostgresParameters> SHIPPED = shipped();

    public PostgresParameters {
        byName = Map.copyOf(byName);
    }

    /**
     * One parameter. {@code type} as pg_settings has it (bool, integer, real, string, enum); {@code unit} the base
     * unit of its number ("8kB", "ms"), empty for none or unknown; {@code min}/{@code max} in that unit, empty when
     * unknown; {@code enumValues} empty when unknown.
     */
    public record Parameter(String name, String type, String unit, String min, String max, List<String> enumValues) {
        public Parameter {
            enumValues = List.copyOf(enumValues);
        }
    }

    /** The table shipped for a PostgreSQL major version, if there is one. */
    public static Optional<PostgresParameters> forMajor(int major) {
        return Optional.ofNullable(SHIPPED.get(major));
    }

    /** The majors with a shipped table. */
    public static Set<Integer> majors() {
        return SHIPPED.keySet();
    }

    private static Map<Integer, PostgresParameters> shipped() {
        Map<Integer, PostgresParameters> out = new TreeMap<>();
        for (int major = 10; major <= 30; major++) {
            try (InputStream in = PostgresParameters.class.getResourceAsStream("/postgres-parameters/" + major
                    + ".tsv")) {
                if (in != null) {
                    out.put(major, fromSettings(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the parameter table of PostgreSQL " + major, e);
            }
        }
        return Map.copyOf(out);
    }

    /**
     * A table as .ci/refresh-postgres-parameters writes it: a comment line with {@code postgres --version}, then
     * name, type, unit, min, max, enum values (comma-separated) and context, tab-separated.
     */
    public static PostgresParameters fromSettings(String text) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        String version = "";
        for (String line : text.split("\n")) {
            if (line.startsWith("#")) {
                Matcher m = VERSION.matcher(line);
                version = m.find() ? m.group(1) : version;
                continue;
            }
            String[] f = line.split("\t", -1);
            if (f.length >= 6) {
                out.put(f[0].toLowerCase(Locale.ROOT), new Parameter(f[0], f[1], f[2], f[3], f[4],
                        f[5].isEmpty() ? List.of() : Arrays.asList(f[5].split(","))));
            }
        }
        return new PostgresParameters(version, out, true);
    }

    /**
     * From {@code postgres --describe-config} (name, context, group, TYPE, boot value, min, max, ...): names, types
     * and ranges; no units or enum values.
     */
    public static PostgresParameters fromDescribeConfig(String version, String text) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            String[] f = line.split("\t", -1);
            if (f.length >= 7) {
                String type = f[3].toLowerCase(Locale.ROOT);
                out.put(f[0].toLowerCase(Locale.ROOT), new Parameter(f[0], type, "", f[5], f[6], List.of()));
            }
        }
        return new PostgresParameters(version, out, false);
    }

    /**
     * Why PostgreSQL would not take {@code value} for {@code name}; empty when it would. A name with a dot belongs to
     * an extension, which this table does not know: not checked.
     */
    public Optional<String> problem(String name, String value) {
        if (name.contains(".")) {
            return Optional.empty();
        }
        // PostgreSQL's names are case-insensitive (DateStyle, TimeZone).
        Parameter p = byName.get(name.toLowerCase(Locale.ROOT));
        if (p == null) {
            return Optional.of("PostgreSQL " + version + " knows no parameter '" + name + "'" + nearest(name)
                    .map(n -> " (did you mean " + n + "?)").orElse(""));
        }
        return switch (p.type()) {
            case "bool" -> isBoolean(value) ? Optional.empty()
                    : Optional.of("expected on or off (or true, false, yes, no, 1, 0), found '" + value + "'");
            case "enum" -> enumProblem(p, value);
            case "integer", "real" -> numberProblem(p, value, unitsKnown);
            default -> Optional.empty();
        };
    }

    private static boolean isBoolean(String value) {
        String v = value.strip().toLowerCase(Locale.ROOT);
        // PostgreSQL also takes a prefix of true, false, yes or no.
        return BOOLEAN_WORDS.contains(v) || (!v.isEmpty() && ("true".startsWith(v) || "false".startsWith(v)
                || "yes".startsWith(v) || "no".startsWith(v)));
    }

    private static Optional<String> enumProblem(Parameter p, String value) {
        String v = value.strip();
        // Many enums also take the boolean words, which pg_settings does not list.
        if (p.enumValues().isEmpty() || isBoolean(v) || p.enumValues().stream().anyMatch(e -> e.equalsIgnoreCase(v))) {
            return Optional.empty();
        }
        return Optional.of("expected one of " + String.join(", ", p.enumValues()) + ", found '" + value + "'");
    }

    private static Optional<String> numberProblem(Parameter p, String value, boolean unitsKnown) {
        boolean integer = p.type().equals("integer");
        if (integer && HEX.matcher(value).matches()) {
            return Optional.empty();
        }
        Matcher m = NUMBER.matcher(value);
        String kind = MEMORY.containsKey(baseUnit(p)) ? "an amount of memory" : TIME.containsKey(baseUnit(p))
                ? "a time" : integer ? "an integer" : "a number";
        String units = MEMORY.containsKey(baseUnit(p)) ? " (a number, with a unit of B, kB, MB, GB or TB)"
                : TIME.containsKey(baseUnit(p)) ? " (a number, with a unit of us, ms, s, min, h or d)" : "";
        if (!m.matches()) {
            return Optional.of("expected " + kind + units + ", found '" + value + "'");
        }
        BigDecimal number = new BigDecimal(m.group(1));
        String unit = m.group(2);
        if (!unit.isEmpty()) {
            Map<String, Long> table = MEMORY.containsKey(baseUnit(p)) ? MEMORY : TIME.containsKey(baseUnit(p)) ? TIME
                    : Map.of();
            if (!unitsKnown && (MEMORY.containsKey(unit) || TIME.containsKey(unit))) {
                return Optional.empty(); // a binary's own description: the parameter's unit is unknown
            }
            if (!table.containsKey(unit)) {
                return Optional.of("expected " + kind + units + ", found '" + value + "'"
                        + (table.isEmpty() ? ": " + p.name() + " takes no unit" : ": unknown unit '" + unit + "'"));
            }
            BigDecimal base = BigDecimal.valueOf(table.get(baseUnit(p))).multiply(BigDecimal.valueOf(multiple(p)));
            number = number.multiply(BigDecimal.valueOf(table.get(unit))).divide(base, 6, RoundingMode.HALF_UP);
        }
        if (integer) {
            number = number.setScale(0, RoundingMode.HALF_EVEN);
        }
        if (p.min().isEmpty() || p.max().isEmpty()) {
            return Optional.empty();
        }
        BigDecimal min = new BigDecimal(p.min());
        BigDecimal max = new BigDecimal(p.max());
        if (number.compareTo(min) < 0 || number.compareTo(max) > 0) {
            String converted = amount(p, number.stripTrailingZeros().toPlainString());
            return Optional.of("expected " + amount(p, p.min()) + " to " + amount(p, p.max()) + ", found '" + value
                    + "'" + (unit.isEmpty() || p.unit().isEmpty() || converted.equals(value.strip()) ? ""
                    : " (" + converted + ")"));
        }
        return Optional.empty();
    }

    /** "64kB", or "16 x 8kB" in a unit of several. */
    private static String amount(Parameter p, String number) {
        return p.unit().isEmpty() ? number : Character.isDigit(p.unit().charAt(0)) ? number + " x " + p.unit()
                : number + p.unit();
    }

    /** "kB" of "8kB". */
    private static String baseUnit(Parameter p) {
        return p.unit().replaceFirst("^\\d+", "");
    }

    /** 8 of "8kB", 1 of "kB". */
    private static long multiple(Parameter p) {
        String digits = p.unit().replaceFirst("\\D.*$", "");
        return digits.isEmpty() ? 1 : Long.parseLong(digits);
    }

    /** The known name closest to a misspelt one, if one is close enough to be meant. */
    Optional<String> nearest(String name) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String known : byName.values().stream().map(Parameter::name).toList()) {
            int d = distance(name.toLowerCase(Locale.ROOT), known.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                best = known;
                bestDistance = d;
            }
        }
        return best != null && bestDistance <= Math.max(2, name.length() / 4) ? Optional.of(best) : Optional.empty();
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
