package io.pgha.backup;

import io.pgha.model.BackupReport;
import io.pgha.postgres.BackupMarker;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A restore drill: the newest backup restored into a scratch directory, started, checked, stopped and removed. The
 * check: the copy ends its recovery as a primary, the leader's agent's marker ({@code pgha.marker}) is there and was
 * written at most {@link #MARKER_SLACK} before the backup started, and every database the marker lists exists.
 * What it proves: this backup and the WAL it needs restore into a Postgres that starts and holds the cluster's data.
 */
public final class Drill {
    /** The leader's agent writes the marker every five minutes; a marker older than this is missing data. */
    public static final Duration MARKER_SLACK = Duration.ofMinutes(12);
    private static final Duration RECOVERY_DEADLINE = Duration.ofHours(1);

    private Drill() {
    }

    /** Runs the drill; the detail of a success (what was checked), or an IOException saying what failed. */
    public static String run(PgBackRest restoreTool, RestoredPostgres copy, BackupReport.BackupSet backup)
            throws IOException {
        copy.prepare();
        try {
            restoreTool.restore(List.of("--set=" + backup.label(), "--type=immediate",
                    "--target-action=promote"));
            copy.start(RECOVERY_DEADLINE);
            return check(copy, backup);
        } finally {
            copy.remove();
        }
    }

    private static String check(RestoredPostgres copy, BackupReport.BackupSet backup) throws IOException {
        String marker;
        try {
            marker = copy.query("select extract(epoch from at)::bigint || ' ' || array_to_string(databases, ',')"
                    + " from " + BackupMarker.TABLE + " where id = 1");
        } catch (IOException e) {
            throw new IOException("no marker in backup " + backup.label() + " (the leader's agent writes "
                    + BackupMarker.TABLE + " every five minutes): " + e.getMessage(), e);
        }
        if (marker.isEmpty()) {
            throw new IOException("no marker row in backup " + backup.label());
        }
        String[] parts = marker.split(" ", 2);
        long at = Long.parseLong(parts[0]);
        if (at < backup.start() - MARKER_SLACK.toSeconds()) {
            throw new IOException("backup " + backup.label() + " started at " + Instant.ofEpochSecond(backup.start())
                    + " but holds a marker from " + Instant.ofEpochSecond(at) + ": expected one written at most "
                    + MARKER_SLACK.toMinutes() + " min before");
        }
        Set<String> expected = new TreeSet<>(parts.length > 1 && !parts[1].isEmpty()
                ? List.of(parts[1].split(",")) : List.of());
        Set<String> found = new TreeSet<>(List.of(copy.query(
                "select string_agg(datname, ',') from pg_database where not datistemplate").split(",")));
        List<String> missing = new ArrayList<>(expected);
        missing.removeAll(found);
        if (!missing.isEmpty()) {
            throw new IOException("backup " + backup.label() + " lacks database(s) " + String.join(", ", missing)
                    + " that the marker lists (found " + String.join(", ", found) + ")");
        }
        return "backup " + backup.label() + " restored and started; marker from "
                + Instant.ofEpochSecond(at) + ", databases " + String.join(", ", found);
    }
}
