package io.pgha.postgres;

import io.pgha.model.PostgresUpgrade;
import io.pgha.supervise.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * PostgreSQL's own tools for a major upgrade on one data host, run as the cluster's owner (argv, no shell): initdb of
 * the new major's cluster to match the old one, {@code pg_upgrade} (with {@code --check}, or {@code --link}), the
 * old cluster's settings from {@code pg_controldata}. The old and new layouts are the same host's, one per major.
 *
 * @param user the owner of the data directories (postgres)
 * @param home the data directories' home, {@code <home>/<major>/data} each
 * @param from the old major's layout
 * @param to   the new major's layout
 */
public record PgUpgrade(PostgresUpgrade upgrade, String user, Path home, PatroniConfig.Layout from,
                        PatroniConfig.Layout to) {
    static final Duration SHORT = Duration.ofMinutes(2);
    /** pg_upgrade in link mode copies no data; its time goes with the number of objects, not their size. */
    static final Duration LONG = Duration.ofMinutes(30);

    /** The programs of the new major this upgrade runs; empty when all are installed. */
    List<String> missingPrograms() {
        return Stream.of("postgres", "initdb", "pg_upgrade", "pg_controldata")
                .map(p -> Path.of(to.binDir(), p)).filter(p -> !Files.isExecutable(p)).map(Path::toString).toList();
    }

    /** pg_controldata's settings of a cluster stopped by pg_upgrade, for the GUCs a standby must match. */
    private static final Map<String, String> CONTROL_SETTINGS = Map.of(
            "wal_level setting", "wal_level",
            "max_connections setting", "max_connections",
            "max_worker_processes setting", "max_worker_processes",
            "max_wal_senders setting", "max_wal_senders",
            "max_prepared_xacts setting", "max_prepared_transactions",
            "max_locks_per_xact setting", "max_locks_per_transaction");

    /** The old cluster's pg_controldata, line by line as "label" -> "value". */
    Map<String, String> oldControlData() throws IOException {
        Command.Outcome out = Command.run(Command.asUser(user, List.of(Path.of(from.binDir(), "pg_controldata")
                .toString(), "-D", from.dataDir().toString())), SHORT);
        if (!out.ok()) {
            throw new IOException("pg_controldata " + from.dataDir() + " failed (exit " + out.exitCode() + "): "
                    + out.lastLine());
        }
        Map<String, String> values = new java.util.LinkedHashMap<>();
        for (String line : out.output().split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                values.put(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
            }
        }
        if (!values.containsKey("Data page checksum version")) {
            throw new IOException("pg_controldata " + from.dataDir() + ": expected a line 'Data page checksum"
                    + " version', found none");
        }
        return values;
    }

    /**
     * A new cluster of the new major in {@code dataDir} (which must not exist yet), as Patroni's bootstrap makes one:
     * UTF8, the agent's C.UTF-8 locale, checksums as the old cluster has them, the same install user. Its
     * postgresql.conf takes the old cluster's hot-standby settings (pg_controldata's): pg_upgrade's last start writes
     * them into the new pg_control, so that Patroni's first start of the new leader has nothing to restart for.
     * Patroni keeps this file as postgresql.base.conf, under its own settings.
     */
    void initdb(Path dataDir) throws IOException {
        Map<String, String> control = oldControlData();
        boolean checksums = !control.get("Data page checksum version").equals("0");
        List<String> argv = new ArrayList<>(List.of(Path.of(to.binDir(), "initdb").toString(), "-D",
                dataDir.toString(), "--encoding=UTF8", "--username=" + PatroniConfig.SUPERUSER, "--auth-local=peer",
                "--auth-host=scram-sha-256", checksums ? "--data-checksums" : "--no-data-checksums"));
        Command.Outcome out = Command.run(Command.asUser(user, argv), SHORT);
        if (!out.ok()) {
            throw new IOException("initdb of PostgreSQL " + upgrade.to() + " in " + dataDir + " failed (exit "
                    + out.exitCode() + "): " + out.lastLine());
        }
        StringBuilder settings = new StringBuilder("\n# The old cluster's hot-standby settings (pgha-agent, "
                + upgrade.describe() + ")\n");
        CONTROL_SETTINGS.forEach((label, guc) -> {
            String value = control.getOrDefault(label, "");
            if (value.matches("[a-z0-9]+")) {
                settings.append(guc).append(" = '").append(value).append("'\n");
            }
        });
        Files.writeString(dataDir.resolve("postgresql.conf"), settings, java.nio.file.StandardOpenOption.APPEND);
    }

    /**
     * pg_upgrade from the old data directory into {@code newData}, run in {@code workDir} (its scripts land there,
     * its sockets too): {@code --check} against the running old server, else {@code --link}. A failure's message
     * holds pg_upgrade's own reason lines.
     */
    Command.Outcome pgUpgrade(Path newData, Path workDir, boolean check) throws IOException {
        List<String> argv = new ArrayList<>(List.of(Path.of(to.binDir(), "pg_upgrade").toString(),
                "--old-bindir=" + from.binDir(), "--new-bindir=" + to.binDir(),
                "--old-datadir=" + from.dataDir(), "--new-datadir=" + newData,
                "--username=" + PatroniConfig.SUPERUSER, "--socketdir=" + workDir,
                "--jobs=" + Runtime.getRuntime().availableProcessors()));
        argv.add(check ? "--check" : "--link");
        Command.Outcome out = Command.runIn(workDir, Command.asUser(user, argv), Map.of(), check ? SHORT : LONG);
        if (!out.ok()) {
            String logged = logErrors(out.output());
            throw new IOException("pg_upgrade" + (check ? " --check" : " --link") + " failed (exit " + out.exitCode()
                    + "): " + (logged.isEmpty() ? reason(out.output()) : logged));
        }
        return out;
    }

    private static final java.util.regex.Pattern CONSULT = java.util.regex.Pattern.compile(
            "Consult the last few lines of \"([^\"]+)\"");

    /**
     * The errors in the log pg_upgrade names for its failure (a schema restore's pg_restore says there which statement
     * failed) and the log's path; empty when it names none or has no error line.
     */
    static String logErrors(String output) {
        java.util.regex.Matcher m = CONSULT.matcher(output);
        if (!m.find()) {
            return "";
        }
        try {
            List<String> lines = Files.readAllLines(Path.of(m.group(1)));
            List<String> errors = new ArrayList<>();
            for (String line : lines) {
                String l = line.strip();
                if (l.contains("error: ") || l.startsWith("ERROR:")) {
                    errors.add(l);
                }
            }
            return errors.isEmpty() ? "" : String.join(" ", errors.subList(Math.max(0, errors.size() - 3),
                    errors.size())).replaceAll("\\s+", " ") + " (" + m.group(1) + ")";
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * What pg_upgrade says went wrong: its lines from the first that reports a failure on (it names the check and
     * the file listing the offending objects), else its last line.
     */
    static String reason(String output) {
        List<String> lines = output.lines().map(l -> l.strip().replaceAll("\\s+", " ")).filter(l -> !l.isEmpty())
                .toList();
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i).toLowerCase(java.util.Locale.ROOT);
            if (l.contains("fatal") || l.contains("failure") || l.contains("error")) {
                return String.join(" ", lines.subList(i, Math.min(lines.size(), i + 6)));
            }
        }
        return lines.isEmpty() ? "no output" : lines.get(lines.size() - 1);
    }

    /** The new major's data directory of this host. */
    Path newData() {
        return to.dataDir();
    }

    /** Written once pg_upgrade succeeded: the upgraded directory is complete (a crash half way leaves none). */
    Path doneMarker() {
        return home.resolve(Integer.toString(upgrade.to())).resolve("pg-upgrade-" + upgrade.id() + ".done");
    }

    /** Written when pg_upgrade failed, with its reason: this upgrade does not run it again. */
    Path failedMarker() {
        return home.resolve(Integer.toString(upgrade.to())).resolve("pg-upgrade-" + upgrade.id() + ".failed");
    }

    /**
     * Where a new data directory that is not to be used goes, kept (a rename, nothing deleted): {@code
     * data.failed-upgrade-<id>}, with a number after it when that is taken.
     */
    Path setAside() {
        Path first = to.dataDir().resolveSibling(to.dataDir().getFileName() + ".failed-upgrade-" + upgrade.id());
        Path aside = first;
        for (int n = 2; Files.exists(aside); n++) {
            aside = first.resolveSibling(first.getFileName() + "-" + n);
        }
        return aside;
    }

    /** No directory there, or an empty one. */
    static boolean isEmpty(Path dir) throws IOException {
        return !Files.isDirectory(dir) || DataDirectoryAside.isEmpty(dir);
    }

    /** Bytes under {@code dir}, files only, as a du would count them. */
    static long sizeOf(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            return all.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }
}
