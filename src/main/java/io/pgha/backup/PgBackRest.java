package io.pgha.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgha.model.BackupReport;
import io.pgha.supervise.Command;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * pgBackRest's commands for one stanza and one configuration file, run as the repository's owner (argv, no shell).
 * A failure is an IOException with pgBackRest's own last line, which names what went wrong ("ERROR: [056]: ...").
 */
public final class PgBackRest {
    /** Time enough for a large database; a backup that takes longer is killed and reported failed. */
    public static final Duration LONG = Duration.ofHours(24);
    private static final Duration SHORT = Duration.ofMinutes(2);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String user;
    private final Path binary;
    private final Path config;
    private final String stanza;

    public PgBackRest(String user, Path binary, Path config, String stanza) {
        this.user = user;
        this.binary = binary;
        this.config = config;
        this.stanza = stanza;
    }

    /** Creates the stanza, or checks that the one there matches the cluster (pgBackRest's own idempotence). */
    public void stanzaCreate() throws IOException {
        check(SHORT, List.of("stanza-create"));
    }

    /**
     * The stanza taken to the cluster's new major after pg_upgrade (pgBackRest reads it from the primary). It asks
     * every data host which one is the primary: a host that is down costs it its connection timeouts, minutes.
     */
    public void stanzaUpgrade() throws IOException {
        check(LONG, List.of("stanza-upgrade"));
    }

    /** One backup of {@code type} (full, diff or incr): a diff or incr with no full before it becomes a full one. */
    public void backup(String type) throws IOException {
        check(LONG, List.of("--type=" + type, "backup"));
    }

    /** What the repository holds. */
    public Info info() throws IOException {
        return parseInfo(check(SHORT, List.of("--output=json", "info")).output());
    }

    /**
     * A restore into the configuration's pg1-path, which must be empty or absent. {@code target}: the options that
     * say where recovery stops and what then ({@code --type=immediate --target-action=promote --set=LABEL}).
     */
    public void restore(List<String> target) throws IOException {
        List<String> args = new ArrayList<>(target);
        // The copy stands alone: it archives nothing into the cluster's repository.
        args.addAll(List.of("--archive-mode=off", "restore"));
        check(LONG, args);
    }

    private Command.Outcome check(Duration timeout, List<String> args) throws IOException {
        List<String> argv = new ArrayList<>(List.of(binary.toString(), "--config=" + config, "--stanza=" + stanza));
        argv.addAll(args);
        Command.Outcome out = Command.run(Command.asUser(user, argv), timeout);
        if (!out.ok()) {
            throw new IOException("pgbackrest " + args.get(args.size() - 1) + " failed (exit " + out.exitCode() + "): "
                    + out.lastLine());
        }
        return out;
    }

    /** The repository's backups, oldest first, its archive's WAL range, and pgBackRest's word on the stanza. */
    public record Info(List<BackupReport.BackupSet> backups, String walMin, String walMax, String status) {
        /** The newest backup, which drills restore. */
        public java.util.Optional<BackupReport.BackupSet> latest() {
            return backups.isEmpty() ? java.util.Optional.empty()
                    : java.util.Optional.of(backups.get(backups.size() - 1));
        }
    }

    /** {@code pgbackrest info --output=json} for one stanza. */
    static Info parseInfo(String json) throws IOException {
        JsonNode all = JSON.readTree(json);
        if (all == null || !all.isArray() || all.isEmpty()) {
            throw new IOException("pgbackrest info: expected a list of stanzas, found " + abbreviate(json));
        }
        JsonNode stanza = all.get(0);
        List<BackupReport.BackupSet> backups = new ArrayList<>();
        for (JsonNode b : stanza.path("backup")) {
            if (b.path("error").asBoolean(false)) {
                continue;
            }
            backups.add(new BackupReport.BackupSet(b.path("label").asText(), b.path("type").asText(),
                    b.path("timestamp").path("start").asLong(), b.path("timestamp").path("stop").asLong(),
                    b.path("info").path("size").asLong(), b.path("info").path("repository").path("delta").asLong(),
                    b.path("archive").path("start").asText(""), b.path("archive").path("stop").asText("")));
        }
        String walMin = "";
        String walMax = "";
        for (JsonNode a : stanza.path("archive")) {
            // One entry per database system id the stanza has known; the newest is the one that counts.
            walMin = a.path("min").asText("");
            walMax = a.path("max").asText("");
        }
        return new Info(backups, walMin, walMax, stanza.path("status").path("message").asText(""));
    }

    private static String abbreviate(String text) {
        String one = text.strip().replace('\n', ' ');
        return one.length() > 120 ? one.substring(0, 120) + "..." : one;
    }
}
