package io.pgha.backup;

import io.pgha.model.ClusterSpec;
import io.pgha.model.Role;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * pgbackrest.conf, built as data. The repository host and every data host run pgBackRest's TLS server and reach each
 * other through it with certificates of the cluster CA, whose common names {@code tls-server-auth} lets in for the
 * cluster's stanza only: the data hosts push WAL to the repository, the repository host backs up from them. No SSH
 * keys to hand out, rotate or revoke.
 *
 * <p>Every value here is the agent's own (paths, ports) or checked by the spec parser (addresses, host names, the
 * cluster name): none can carry a newline or a '=' into the file.
 *
 * <p>Learnt from pgBackRest 2.45 (Debian 12) in the lab: a command's options travel to the remote it talks to, so a
 * data host names the repository's path and the repository host names each data host's socket; the TLS client
 * matches only DNS names (IP subject alternative names came in 2.46), so the certificate must carry the address as
 * a DNS name too; a restore refuses to run where the configuration names remote data hosts, hence a file of its own
 * for the drills.
 */
public final class PgBackRestConfig {
    private static final String HEADER = "# Written by pgha-agent from the cluster spec; changes here are undone.\n";
    /** pgBackRest's TLS server port (its default). */
    public static final int TLS_PORT = 8432;

    /**
     * Where pgBackRest keeps what a host needs: the repository (on the backup host), its logs, spool and locks (its
     * own, not the shared /tmp/pgbackrest: the lab's hosts share one /tmp, and two replicas fetching WAL at once
     * would take each other's lock).
     */
    public record Paths(Path repository, Path log, Path spool, Path lock) {
    }

    /** The certificate pgBackRest presents (its common name is what {@code tls-server-auth} matches) and the CA. */
    public record Tls(Path ca, Path certificate, Path key) {
    }

    /** One data host's Postgres as the repository host reaches it, and as the data host itself runs it. */
    public record Postgres(Path dataDir, Path socketDir, int port) {
    }

    private PgBackRestConfig() {
    }

    /** The common name of a host's pgBackRest certificate. */
    public static String commonName(String host) {
        return "pgbackrest-" + host;
    }

    /**
     * The repository host's file: the repository, its retention, and every data host of the spec as pgN, each with
     * its Postgres as that host runs it ({@code postgres}: one layout on real hosts, a root of its own in the lab).
     */
    public static String repository(ClusterSpec spec, ClusterSpec.Host self, ClusterSpec.Backup backup,
                                     Paths paths, Tls tls, Function<ClusterSpec.Host, Postgres> postgres) {
        Map<String, List<String[]>> file = new LinkedHashMap<>();
        List<String[]> global = section(file, "global");
        global.add(kv("repo1-path", paths.repository().toString()));
        global.add(kv("repo1-retention-full", Integer.toString(backup.retentionFull())));
        global.add(kv("repo1-retention-diff", Integer.toString(backup.retentionDiff())));
        // A backup starts with a checkpoint now rather than at the next one (up to checkpoint_timeout away).
        global.add(kv("start-fast", "y"));
        global.add(kv("backup-standby", backup.fromReplica() ? "y" : "n"));
        common(global, paths);
        server(global, self, tls);
        // The data hosts push WAL and restore replicas; spare hosts restore copies for inspection.
        for (ClusterSpec.Host peer : spec.hosts().values()) {
            if (peer.roles().contains(Role.DATA) || peer.roles().isEmpty()) {
                global.add(kv("tls-server-auth", commonName(peer.name()) + "=" + spec.cluster()));
            }
        }
        List<String[]> stanza = section(file, spec.cluster());
        int n = 1;
        for (ClusterSpec.Host data : spec.hostsWith(Role.DATA)) {
            String pg = "pg" + n++;
            stanza.add(kv(pg + "-host", data.address()));
            stanza.add(kv(pg + "-host-type", "tls"));
            stanza.add(kv(pg + "-host-port", Integer.toString(TLS_PORT)));
            stanza.add(kv(pg + "-host-ca-file", tls.ca().toString()));
            stanza.add(kv(pg + "-host-cert-file", tls.certificate().toString()));
            stanza.add(kv(pg + "-host-key-file", tls.key().toString()));
            Postgres pgOf = postgres.apply(data);
            stanza.add(kv(pg + "-path", pgOf.dataDir().toString()));
            stanza.add(kv(pg + "-socket-path", pgOf.socketDir().toString()));
            stanza.add(kv(pg + "-port", Integer.toString(pgOf.port())));
        }
        return render(file);
    }

    /** The repository host's file for a restore into {@code target} (a drill, or a copy for inspection). */
    public static String restore(ClusterSpec spec, Paths paths, Path target) {
        Map<String, List<String[]>> file = new LinkedHashMap<>();
        List<String[]> global = section(file, "global");
        global.add(kv("repo1-path", paths.repository().toString()));
        common(global, paths);
        section(file, spec.cluster()).add(kv("pg1-path", target.toString()));
        return render(file);
    }

    /**
     * A spare host's file for a restore onto it: the repository over TLS, the copy's data directory as pg1. The
     * repository host lets spare hosts in for that ({@code tls-server-auth}).
     */
    public static String spareRestore(ClusterSpec spec, ClusterSpec.Host repository, Path repositoryPath,
                                      Paths paths, Tls tls, Path target) {
        Map<String, List<String[]>> file = new LinkedHashMap<>();
        List<String[]> global = section(file, "global");
        repositoryClient(global, repository, repositoryPath, tls);
        common(global, paths);
        section(file, spec.cluster()).add(kv("pg1-path", target.toString()));
        return render(file);
    }

    private static void repositoryClient(List<String[]> global, ClusterSpec.Host repository, Path repositoryPath,
                                         Tls tls) {
        global.add(kv("repo1-host", repository.address()));
        global.add(kv("repo1-path", repositoryPath.toString()));
        global.add(kv("repo1-host-type", "tls"));
        global.add(kv("repo1-host-port", Integer.toString(TLS_PORT)));
        global.add(kv("repo1-host-ca-file", tls.ca().toString()));
        global.add(kv("repo1-host-cert-file", tls.certificate().toString()));
        global.add(kv("repo1-host-key-file", tls.key().toString()));
        // A repository host that is down fails a push (Postgres keeps the segment and tries again) or a replica
        // built from the repository (Patroni falls back to pg_basebackup) within seconds, not minutes.
        global.add(kv("io-timeout", "15"));
    }

    /**
     * A data host's file: its own Postgres as pg1, the repository on the backup host ({@code repositoryPath}: as that
     * host lays it out).
     */
    public static String data(ClusterSpec spec, ClusterSpec.Host self, ClusterSpec.Host repository,
                              Path repositoryPath, Paths paths, Tls tls, Postgres postgres) {
        Map<String, List<String[]>> file = new LinkedHashMap<>();
        List<String[]> global = section(file, "global");
        repositoryClient(global, repository, repositoryPath, tls);
        // WAL goes out in the background, several segments at a time; archive-push returns once a segment is queued
        // in the spool and the repository has it.
        global.add(kv("archive-async", "y"));
        global.add(kv("spool-path", paths.spool().toString()));
        common(global, paths);
        server(global, self, tls);
        global.add(kv("tls-server-auth", commonName(repository.name()) + "=" + spec.cluster()));
        List<String[]> stanza = section(file, spec.cluster());
        stanza.add(kv("pg1-path", postgres.dataDir().toString()));
        stanza.add(kv("pg1-socket-path", postgres.socketDir().toString()));
        stanza.add(kv("pg1-port", Integer.toString(postgres.port())));
        return render(file);
    }

    private static void common(List<String[]> global, Paths paths) {
        global.add(kv("log-path", paths.log().toString()));
        global.add(kv("lock-path", paths.lock().toString()));
        global.add(kv("log-level-console", "warn"));
        global.add(kv("log-level-file", "info"));
        global.add(kv("compress-type", "lz4"));
    }

    private static void server(List<String[]> global, ClusterSpec.Host self, Tls tls) {
        global.add(kv("tls-server-address", self.address()));
        global.add(kv("tls-server-port", Integer.toString(TLS_PORT)));
        global.add(kv("tls-server-ca-file", tls.ca().toString()));
        global.add(kv("tls-server-cert-file", tls.certificate().toString()));
        global.add(kv("tls-server-key-file", tls.key().toString()));
    }

    private static List<String[]> section(Map<String, List<String[]>> file, String name) {
        return file.computeIfAbsent(name, n -> new ArrayList<>());
    }

    private static String[] kv(String key, String value) {
        if (value.contains("\n") || value.contains("\r")) {
            throw new IllegalArgumentException("pgbackrest.conf: " + key + " must be one line, found a line break");
        }
        return new String[] {key, value};
    }

    private static String render(Map<String, List<String[]>> file) {
        StringBuilder out = new StringBuilder(HEADER);
        file.forEach((name, entries) -> {
            out.append('\n').append('[').append(name).append("]\n");
            entries.forEach(e -> out.append(e[0]).append('=').append(e[1]).append('\n'));
        });
        return out.toString();
    }
}
