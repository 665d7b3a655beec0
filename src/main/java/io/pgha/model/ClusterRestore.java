package io.pgha.model;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A whole-cluster restore as a data host's agent takes it from its request key: pghactl moves every data host through
 * the phases in turn, waiting for all of them at each.
 * <ul>
 *   <li>{@link #STOP}: Patroni stopped (it stops Postgres) and the data directory set aside, kept, named for the
 *   id;</li>
 *   <li>{@link #BOOTSTRAP}: Patroni started with a bootstrap that restores the backup set to the target and promotes,
 *   and replicas built from that same set (a newer backup may lie on the old timeline past the target, which a
 *   replica of the restored cluster could not follow);</li>
 *   <li>{@link #DONE}: back to the usual configuration (the repository holds a full backup of the restored
 *   cluster).</li>
 * </ul>
 * Its values reach a command line that Patroni splits (never a shell): each is checked against its exact form here.
 *
 * @param id    when pghactl started the restore, as {@code 20261128T012300Z}: also the set-aside directory's suffix
 * @param time  the target, an ISO-8601 instant; empty for the end of the archive
 * @param set   the pgBackRest backup label restored
 */
public record ClusterRestore(String id, String phase, String time, String set) implements DataPhase {
    public static final String STOP = "stop";
    public static final String BOOTSTRAP = "bootstrap";
    public static final String DONE = "done";
    public static final DateTimeFormatter ID = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);
    /** A recovery target as pgBackRest passes it to Postgres: microseconds, explicit UTC offset. */
    public static final DateTimeFormatter PG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSSx")
            .withZone(ZoneOffset.UTC);
    private static final Pattern ID_FORM = Pattern.compile("[0-9]{8}T[0-9]{6}Z");
    private static final Pattern LABEL = Pattern.compile("[0-9]{8}-[0-9]{6}F(_[0-9]{8}-[0-9]{6}[DI])?");

    public ClusterRestore {
        if (!ID_FORM.matcher(id).matches()) {
            throw new IllegalArgumentException("cluster restore id: expected yyyyMMddTHHmmssZ, found '" + id + "'");
        }
        if (!List.of(STOP, BOOTSTRAP, DONE).contains(phase)) {
            throw new IllegalArgumentException("cluster restore phase: expected stop, bootstrap or done, found '"
                    + phase + "'");
        }
        if (!time.isEmpty()) {
            try {
                Instant.parse(time);
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("cluster restore time: expected an ISO-8601 instant, found '"
                        + time + "'");
            }
        }
        if (!LABEL.matcher(set).matches()) {
            throw new IllegalArgumentException("cluster restore set: expected a pgBackRest backup label such as"
                    + " 20261128-010203F, found '" + set + "'");
        }
    }

    /** The restore a request asks for, if it is one; a malformed one is an IllegalArgumentException. */
    public static Optional<ClusterRestore> of(HostRequest r) {
        return r.kind().equals(HostRequest.CLUSTER_RESTORE)
                ? Optional.of(new ClusterRestore(r.id(), r.type(), r.time(), r.set())) : Optional.empty();
    }

    public HostRequest request() {
        return new HostRequest(id, HostRequest.CLUSTER_RESTORE, phase, time, set);
    }

    public ClusterRestore in(String next) {
        return new ClusterRestore(id, next, time, set);
    }

    /** Under way: the host's Postgres is not the cluster's usual one. */
    @Override
    public boolean active() {
        return !phase.equals(DONE);
    }

    public List<String> targetOptions() {
        return targetOptions(time);
    }

    /**
     * pgBackRest's restore options for a target (an ISO-8601 instant): recovery to it and promotion there; for none,
     * to the end of the archive (recovery ends, and Postgres promotes, when no more WAL is there).
     */
    public static List<String> targetOptions(String time) {
        return time.isEmpty() ? List.of("--type=default")
                : List.of("--type=time", "--target=" + PG_TIME.format(Instant.parse(time)), "--target-action=promote");
    }

    /** The id under which a data host's status reports its data directory set aside for this restore. */
    public String resourceId() {
        return "cluster-restore:" + id;
    }

    @Override
    public String describe() {
        return "cluster restore " + id + " to " + (time.isEmpty() ? "the end of the archive" : time)
                + " from backup " + set;
    }
}
