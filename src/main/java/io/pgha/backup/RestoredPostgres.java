package io.pgha.backup;

import io.pgha.resources.DirectoryResource;
import io.pgha.resources.FileResource;
import io.pgha.resources.Owner;
import io.pgha.resources.Result;
import io.pgha.resources.Status;
import io.pgha.supervise.Command;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A copy of the cluster restored from the repository, under a directory of its own ({@code dir}: the data
 * directory, the socket, the configuration and the log), started with a configuration file the agent writes rather
 * than the one Patroni left in the data directory, whose paths, certificates and replication settings belong to
 * the data host the backup came from. It archives nothing, replicates nothing, and listens on a socket only (a
 * drill) or, for inspection, also on the host's address over TLS with the spec's client rules.
 *
 * @param listen absent for a drill: the socket in {@code dir} only, which only {@code user} can reach
 */
public record RestoredPostgres(String user, Path binDir, Path dir, int port, Optional<Listen> listen) {
    private static final Duration PSQL_TIMEOUT = Duration.ofSeconds(30);

    /** Where a copy for inspection accepts connections: the address, pg_hba lines, the certificate it presents. */
    public record Listen(String address, List<String> hbaLines, Path certificate, Path key) {
    }

    public Path data() {
        return dir.resolve("data");
    }

    private Path config() {
        return dir.resolve("postgresql.conf");
    }

    public Path log() {
        return dir.resolve("postgresql.log");
    }

    /** An empty directory owned by {@code user}, anything a former copy left removed. */
    public void prepare() throws IOException {
        remove();
        for (Path p : List.of(dir, data())) {
            if (new DirectoryResource(p, new Owner(user, user, 0700)).apply().status() == Status.FAILED) {
                throw new IOException("cannot make " + p + " for a restored copy");
            }
        }
    }

    /**
     * Writes the configuration and starts Postgres (in a session of its own, so that an agent restart leaves a copy
     * for inspection running), then waits until it has ended its recovery and answers as a primary.
     */
    public long start(Duration deadline) throws IOException {
        write(config(), configText());
        write(dir.resolve("pg_hba.conf"), hbaText());
        write(dir.resolve("pg_ident.conf"), "");
        List<String> argv = new ArrayList<>(List.of("/usr/bin/setsid"));
        argv.addAll(Command.asUser(user, List.of(binDir.resolve("postgres").toString(), "-D", data().toString(),
                "-c", "config_file=" + config())));
        ProcessBuilder pb = new ProcessBuilder(argv).directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()));
        pb.environment().clear();
        pb.environment().putAll(java.util.Map.of("PATH", "/usr/bin:/bin", "LC_ALL", "C.UTF-8"));
        Process process = pb.start();
        long until = System.nanoTime() + deadline.toNanos();
        String last = "";
        while (System.nanoTime() < until) {
            if (!process.isAlive()) {
                throw new IOException("the restored copy's postgres exited (" + process.exitValue() + "): "
                        + lastLines(log()));
            }
            Command.Outcome answer = psql("select pg_is_in_recovery()");
            if (answer.ok() && answer.output().strip().equals("f")) {
                return process.pid();
            }
            last = answer.lastLine();
            sleep();
        }
        stop();
        throw new IOException("the restored copy did not finish its recovery within " + deadline.toSeconds()
                + " s (last answer: " + last + "; log " + log() + ")");
    }

    /** One query's rows as psql prints them unaligned, as {@code user} over the socket. */
    public String query(String sql) throws IOException {
        Command.Outcome out = psql(sql);
        if (!out.ok()) {
            throw new IOException("query on the restored copy failed: " + out.lastLine());
        }
        return out.output().strip();
    }

    private Command.Outcome psql(String sql) throws IOException {
        return Command.run(Command.asUser(user, List.of(binDir.resolve("psql").toString(), "-X", "-A", "-t",
                "-v", "ON_ERROR_STOP=1", "-h", dir.toString(), "-p", Integer.toString(port), "-d", "postgres",
                "-c", sql)), PSQL_TIMEOUT);
    }

    /** A fast shutdown, waited for; nothing to do when no copy runs. */
    public void stop() throws IOException {
        if (!Files.exists(data().resolve("postmaster.pid"))) {
            return;
        }
        Command.Outcome out = Command.run(Command.asUser(user, List.of(binDir.resolve("pg_ctl").toString(), "stop",
                "-D", data().toString(), "-m", "fast", "-w", "-t", "60")), Duration.ofSeconds(90));
        if (!out.ok() && Files.exists(data().resolve("postmaster.pid"))) {
            throw new IOException("pg_ctl stop of the restored copy failed: " + out.lastLine());
        }
    }

    /** Stops a copy that runs and removes the directory. */
    public void remove() throws IOException {
        stop();
        DirectoryResource.removeTree(dir);
    }

    String configText() {
        List<String> lines = new ArrayList<>(List.of(
                "# Written by pgha-agent for a copy restored from the backup repository.",
                "port = " + port,
                "unix_socket_directories = '" + dir + "'",
                "listen_addresses = '" + listen.map(Listen::address).orElse("") + "'",
                "hba_file = '" + dir.resolve("pg_hba.conf") + "'",
                "ident_file = '" + dir.resolve("pg_ident.conf") + "'",
                // Off: no check of max_connections and friends against the primary's, which a small host may lack.
                "hot_standby = off",
                "archive_mode = off",
                "shared_buffers = '64MB'",
                "logging_collector = off"));
        if (listen.isPresent()) {
            lines.add("ssl = on");
            lines.add("ssl_cert_file = '" + listen.get().certificate() + "'");
            lines.add("ssl_key_file = '" + listen.get().key() + "'");
        } else {
            lines.add("ssl = off");
        }
        return String.join("\n", lines) + "\n";
    }

    String hbaText() {
        List<String> lines = new ArrayList<>(List.of("local all " + user + " peer"));
        listen.ifPresent(l -> lines.addAll(l.hbaLines()));
        return String.join("\n", lines) + "\n";
    }

    private void write(Path file, String text) throws IOException {
        Result written = FileResource.of(file, text, new Owner(user, user, 0600)).apply();
        if (written.status() == Status.FAILED) {
            throw new IOException("cannot write " + file + ": " + written.message());
        }
    }

    private static String lastLines(Path log) throws IOException {
        if (!Files.exists(log)) {
            return "no log";
        }
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
    }

    private static void sleep() throws IOException {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the restored copy", e);
        }
    }
}
