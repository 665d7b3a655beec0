package io.pgha.postgres;

import io.pgha.model.ClusterSpec;
import io.pgha.resources.DirectoryResource;
import io.pgha.resources.Owner;
import io.pgha.resources.Resource;
import io.pgha.resources.Result;
import io.pgha.resources.Status;
import io.pgha.supervise.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * A data host's pre-flight for a major upgrade, before anything stops; it changes nothing of the cluster's. The new
 * major's programs installed; free disk for what the host will hold (the primary's {@code --link} adds only the new
 * catalog; a replica is cloned anew beside its old directory, which is kept); on the primary (its Postgres runs and
 * is not a standby) every extension of every database available for the new major, {@code pg_upgrade --check}
 * against the running server with a scratch cluster of the new major, and every database's schema restored into that
 * scratch cluster. Its first verdict per upgrade is kept: the
 * checks are not run again on every pass.
 */
public final class UpgradePreflight implements Resource {
    /** Room for the new catalog, WAL and logs beyond what the data needs. */
    static final long MARGIN = 256L << 20;

    private final PgUpgrade tool;
    private Result verdict;

    public UpgradePreflight(PgUpgrade tool) {
        this.tool = tool;
    }

    @Override
    public String id() {
        return tool.upgrade().checkId();
    }

    @Override
    public synchronized Result checkApply(boolean apply) {
        if (verdict != null) {
            return verdict;
        }
        if (!apply) {
            return Result.wouldChange(id(), List.of("pre-flight for the " + tool.upgrade().describe()
                    + " (runs nothing that changes the cluster)"));
        }
        List<String> problems = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        List<String> missing = tool.missingPrograms();
        if (!missing.isEmpty()) {
            problems.add("PostgreSQL " + tool.upgrade().to() + " is not installed: expected " + String.join(", ",
                    missing));
        }
        try {
            boolean primary = primaryRuns();
            long data = PgUpgrade.sizeOf(tool.from().dataDir());
            long need = (primary ? 0 : data) + MARGIN;
            long free = Files.getFileStore(tool.home()).getUsableSpace();
            seen.add(String.format(Locale.ROOT, "%.2f GiB free, %.2f GiB needed", free / GIB, need / GIB));
            if (free < need) {
                problems.add(String.format(Locale.ROOT, "%s: expected at least %.2f GiB free (%s), found %.2f GiB",
                        tool.home(), need / GIB, primary ? "the new catalog beside the linked data"
                                : "a new copy of " + String.format(Locale.ROOT, "%.2f GiB", data / GIB)
                                + " beside the old directory, which is kept", free / GIB));
            }
            if (primary && missing.isEmpty()) {
                List<String> lacking = lackingExtensions();
                if (!lacking.isEmpty()) {
                    problems.add("extensions not available for PostgreSQL " + tool.upgrade().to() + ": "
                            + String.join(", ", lacking) + " (install them for " + tool.upgrade().to()
                            + ", or drop them)");
                } else {
                    seen.add("every extension available");
                    checkUpgrade().ifPresentOrElse(problems::add, () -> seen.add("pg_upgrade --check: clusters are"
                            + " compatible, every schema restores into " + tool.upgrade().to()));
                }
            }
        } catch (IOException e) {
            problems.add(e.getMessage());
        }
        verdict = problems.isEmpty() ? new Result(id(), Status.OK, "ready: " + String.join(", ", seen), List.of())
                : Result.failed(id(), String.join("; ", problems));
        return verdict;
    }

    private static final double GIB = 1024.0 * 1024 * 1024;

    /** Postgres runs on the old directory and is not a standby: the host pg_upgrade will run on. */
    private boolean primaryRuns() throws IOException {
        return DataDirectoryAside.postmaster(tool.from().dataDir()).isPresent()
                && !Files.exists(tool.from().dataDir().resolve("standby.signal"));
    }

    /** Each extension installed in a database of the old cluster without a control file for the new major. */
    private List<String> lackingExtensions() throws IOException {
        TreeSet<String> lacking = new TreeSet<>();
        Path extensions = shareDir().resolve("extension");
        for (String db : psql("postgres", "select datname from pg_database where datallowconn order by 1")) {
            for (String ext : psql(db, "select extname from pg_extension order by 1")) {
                if (!Files.exists(extensions.resolve(ext + ".control"))) {
                    lacking.add(ext + " (database " + db + ")");
                }
            }
        }
        return List.copyOf(lacking);
    }

    /** Debian's {@code /usr/share/postgresql/N} beside {@code /usr/lib/postgresql/N/bin}; else {@code ../share}. */
    private Path shareDir() {
        Path bin = Path.of(tool.to().binDir());
        String major = Integer.toString(tool.upgrade().to());
        return bin.startsWith("/usr/lib/postgresql") ? Path.of("/usr/share/postgresql", major)
                : bin.getParent().resolve("share");
    }

    private List<String> psql(String database, String query) throws IOException {
        Command.Outcome out = Command.run(Command.asUser(tool.user(), List.of(Path.of(tool.from().binDir(), "psql")
                .toString(), "-XAtq", "-h", tool.from().socketDir().toString(), "-p",
                Integer.toString(ClusterSpec.POSTGRES_PORT), "-U", PatroniConfig.SUPERUSER, "-c", query)),
                database(database), PgUpgrade.SHORT);
        if (!out.ok()) {
            throw new IOException("psql -d " + database + " failed (exit " + out.exitCode() + "): " + out.lastLine());
        }
        return out.output().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    /** pg_upgrade --check against the running server and a scratch cluster of the new major; empty when it passes. */
    private java.util.Optional<String> checkUpgrade() throws IOException {
        Path scratch = tool.home().resolve("upgrade-check-" + tool.upgrade().id());
        DirectoryResource.removeTree(scratch);
        Result made = new DirectoryResource(scratch, new Owner(tool.user(), tool.user(), 0700)).apply();
        if (made.status() == Status.FAILED) {
            throw new IOException("cannot make " + scratch + ": " + made.message());
        }
        Path data = scratch.resolve("data");
        try {
            tool.initdb(data);
            tool.pgUpgrade(data, scratch, true);
            return rehearseSchemas(data, scratch);
        } catch (IOException e) {
            return java.util.Optional.of(e.getMessage());
        } finally {
            Command.run(Command.asUser(tool.user(), List.of(Path.of(tool.to().binDir(), "pg_ctl").toString(), "-D",
                    data.toString(), "-m", "immediate", "stop")), PgUpgrade.SHORT);
            DirectoryResource.removeTree(scratch);
        }
    }

    /**
     * Every database's schema, as the new major's pg_dump reads it from the running server, restored into the scratch
     * cluster: pg_upgrade --check does not restore the schema, which pg_upgrade does with the new major's tools once
     * the leader has stopped (an attribute option, a view on a catalog column, a type the new major no longer knows
     * fail there). Empty when every schema restores.
     */
    private java.util.Optional<String> rehearseSchemas(Path data, Path scratch) throws IOException {
        String port = "50433";
        List<String> socket = List.of("-h", scratch.toString(), "-p", port, "-U", PatroniConfig.SUPERUSER);
        Command.Outcome started = Command.run(Command.asUser(tool.user(), List.of(bin("pg_ctl"), "-D",
                data.toString(), "-w", "-l", scratch.resolve("server.log").toString(), "-o",
                "-c listen_addresses= -p " + port + " -c unix_socket_directories=" + scratch, "start")),
                PgUpgrade.SHORT);
        if (!started.ok()) {
            throw new IOException("the scratch PostgreSQL " + tool.upgrade().to() + " did not start: "
                    + started.lastLine());
        }
        for (String db : psql("postgres", "select datname from pg_database where datallowconn order by 1")) {
            Path dump = scratch.resolve("schema-" + Integer.toHexString(db.hashCode()) + ".sql");
            List<String> pgDump = new ArrayList<>(List.of(bin("pg_dump"), "-h", tool.from().socketDir().toString(),
                    "-p", Integer.toString(ClusterSpec.POSTGRES_PORT), "-U", PatroniConfig.SUPERUSER, "--schema-only",
                    "--no-owner", "--no-privileges", "--no-tablespaces", "-f", dump.toString()));
            Command.Outcome dumped = Command.run(Command.asUser(tool.user(), pgDump), database(db), PgUpgrade.LONG);
            if (!dumped.ok()) {
                return java.util.Optional.of("pg_dump " + tool.upgrade().to() + " of database " + db + "'s schema"
                        + " failed: " + dumped.lastLine());
            }
            if (!List.of("postgres", "template1").contains(db)) {
                List<String> createdb = new ArrayList<>(List.of(bin("createdb")));
                createdb.addAll(socket);
                createdb.addAll(List.of("--", db));
                Command.Outcome made = Command.run(Command.asUser(tool.user(), createdb), PgUpgrade.SHORT);
                if (!made.ok()) {
                    throw new IOException("createdb " + db + " in the scratch cluster failed: " + made.lastLine());
                }
            }
            List<String> restore = new ArrayList<>(List.of(bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1"));
            restore.addAll(socket);
            restore.addAll(List.of("-f", dump.toString()));
            Command.Outcome restored = Command.run(Command.asUser(tool.user(), restore), database(db),
                    PgUpgrade.LONG);
            if (!restored.ok()) {
                return java.util.Optional.of("database " + db + "'s schema does not restore into PostgreSQL "
                        + tool.upgrade().to() + ", as pg_upgrade would restore it: " + restored.output().lines()
                        .filter(l -> l.contains("ERROR")).findFirst().orElse(restored.lastLine()).strip());
            }
        }
        return java.util.Optional.empty();
    }

    /**
     * A database named for psql and pg_dump through the environment: their {@code -d} reads a name with {@code =} in
     * it as a connection string.
     */
    private static java.util.Map<String, String> database(String name) {
        return java.util.Map.of("PGDATABASE", name);
    }

    private String bin(String program) {
        return Path.of(tool.to().binDir(), program).toString();
    }
}
