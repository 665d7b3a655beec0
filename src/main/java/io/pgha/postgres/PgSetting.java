package io.pgha.postgres;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One row of pg_settings: the value in effect ({@code setting}, in {@code unit}), how SHOW prints it, and its
 * {@code context}, which says whether a new value needs a restart. (Its pending_restart column would not do: Patroni
 * passes max_connections and the other hot-standby parameters on the postmaster's command line, not in a file.)
 */
public record PgSetting(String name, String setting, String unit, String vartype, String shown, String context) {
    private static final Pattern NUMBER = Pattern.compile("\\s*(-?[0-9]*\\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\\s*([a-zA-Z]*)\\s*");
    private static final Pattern UNIT = Pattern.compile("([0-9]*)([a-zA-Z]+)");
    private static final Map<String, Double> MEMORY = Map.of("B", 1.0, "kB", 1024.0, "MB", 1024.0 * 1024,
            "GB", 1024.0 * 1024 * 1024, "TB", 1024.0 * 1024 * 1024 * 1024);
    private static final Map<String, Double> TIME = Map.of("us", 0.001, "ms", 1.0, "s", 1000.0, "min", 60_000.0,
            "h", 3_600_000.0, "d", 86_400_000.0);

    public PgSetting {
        unit = unit == null ? "" : unit;
        shown = shown == null ? setting : shown;
    }

    /** A new value takes effect only when the postmaster starts again. */
    public boolean needsRestart() {
        return "postmaster".equals(context);
    }

    /**
     * Whether the value in effect is {@code desired} as the spec writes it: "128MB" is shared_buffers' 16384 (8kB
     * pages), "on" is "true", an enum matches whatever its case.
     */
    public boolean has(String desired) {
        String want = desired.strip();
        return switch (vartype) {
            case "bool" -> bool(want).map(b -> b.equals(setting)).orElse(false);
            case "integer", "real" -> number(want).map(this::sameNumber).orElse(false);
            case "enum" -> want.equalsIgnoreCase(setting);
            default -> want.equals(setting);
        };
    }

    /** {@code value} as a number in this setting's unit, as Postgres would read it; empty if it is not one. */
    public Optional<Double> number(String value) {
        Matcher m = NUMBER.matcher(value);
        if (!m.matches()) {
            return Optional.empty();
        }
        double n = Double.parseDouble(m.group(1));
        String suffix = m.group(2);
        if (suffix.isEmpty()) {
            return Optional.of(n);
        }
        Matcher u = UNIT.matcher(unit);
        if (!u.matches()) {
            return Optional.empty();
        }
        double scale = u.group(1).isEmpty() ? 1 : Double.parseDouble(u.group(1));
        Map<String, Double> table = MEMORY.containsKey(u.group(2)) ? MEMORY : TIME;
        Double from = table.get(suffix);
        Double to = table.get(u.group(2));
        return from == null || to == null ? Optional.empty() : Optional.of(n * from / (to * scale));
    }

    /** The value in effect as a number, for the hot-standby comparison; empty for a non-numeric setting. */
    public Optional<Double> numericSetting() {
        try {
            return Optional.of(Double.parseDouble(setting));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private boolean sameNumber(double want) {
        return numericSetting().map(have -> vartype.equals("integer") ? Math.round(want) == Math.round(have)
                : Math.abs(want - have) <= 1e-9 * Math.max(1, Math.abs(want))).orElse(false);
    }

    /** PostgreSQL's spellings of a boolean, as pg_settings shows it ("on"/"off"). */
    private static Optional<String> bool(String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "on", "true", "yes", "1", "t", "y" -> Optional.of("on");
            case "off", "false", "no", "0", "f", "n" -> Optional.of("off");
            default -> Optional.empty();
        };
    }
}
