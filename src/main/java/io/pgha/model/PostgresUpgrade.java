package io.pgha.model;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A major upgrade of PostgreSQL as a data host's agent takes it from its request key: {@code pghactl apply} of a spec
 * with a higher {@code postgres.version} moves every data host through the phases, waiting for all of them at each.
 * <ul>
 *   <li>{@link #CHECK}: the new major's packages installed and the pre-flight run (binaries, disk, and on the leader
 *   every extension available and {@code pg_upgrade --check}); nothing stops;</li>
 *   <li>{@link #FENCE}: Patroni told this member may not take over ({@code nofailover}), so that the leader can stop
 *   without a failover;</li>
 *   <li>{@link #STOP}: Patroni stopped (and Postgres with it): the leader first, its replicas receive its last
 *   WAL;</li>
 *   <li>{@link #UPGRADE}: on the leader, with Postgres stopped, {@code pg_upgrade --link} into the new major's data
 *   directory; the old one stays as it was until the new server first starts;</li>
 *   <li>{@link #ROLLBACK}: on the leader after a failed upgrade, the old data directory made startable again and the
 *   new one set aside; then every host goes back to {@link #DONE} on the old major;</li>
 *   <li>{@link #REJOIN}: on a replica once the new leader runs: Patroni on the new major, cloned from the leader with
 *   pg_basebackup (the repository holds no backup of the new major yet);</li>
 *   <li>{@link #DONE}: the usual plan, for the spec's major.</li>
 * </ul>
 *
 * @param id   when pghactl started the upgrade, as {@code 20261205T081500Z}
 * @param from the major the cluster's data is in
 * @param to   the major it goes to
 */
public record PostgresUpgrade(String id, String phase, int from, int to) implements DataPhase {
    public static final String CHECK = "check";
    public static final String FENCE = "fence";
    public static final String STOP = "stop";
    public static final String UPGRADE = "upgrade";
    public static final String ROLLBACK = "rollback";
    public static final String REJOIN = "rejoin";
    public static final String DONE = "done";
    public static final List<String> PHASES = List.of(CHECK, FENCE, STOP, UPGRADE, ROLLBACK, REJOIN, DONE);
    private static final Pattern ID_FORM = Pattern.compile("[0-9]{8}T[0-9]{6}Z");
    private static final Pattern MAJORS = Pattern.compile("([0-9]{2}):([0-9]{2})");

    public PostgresUpgrade {
        if (!ID_FORM.matcher(id).matches()) {
            throw new IllegalArgumentException("major upgrade id: expected yyyyMMddTHHmmssZ, found '" + id + "'");
        }
        if (!PHASES.contains(phase)) {
            throw new IllegalArgumentException("major upgrade phase: expected one of " + PHASES + ", found '" + phase
                    + "'");
        }
        if (from < 10 || to <= from) {
            throw new IllegalArgumentException("major upgrade: expected a higher major than " + from + ", found " + to);
        }
    }

    /** The upgrade a request asks for, if it is one; a malformed one is an IllegalArgumentException. */
    public static Optional<PostgresUpgrade> of(HostRequest r) {
        if (!r.kind().equals(HostRequest.UPGRADE)) {
            return Optional.empty();
        }
        Matcher m = MAJORS.matcher(r.set());
        if (!m.matches()) {
            throw new IllegalArgumentException("major upgrade majors: expected FROM:TO such as 17:18, found '"
                    + r.set() + "'");
        }
        return Optional.of(new PostgresUpgrade(r.id(), r.type(), Integer.parseInt(m.group(1)),
                Integer.parseInt(m.group(2))));
    }

    public HostRequest request() {
        return new HostRequest(id, HostRequest.UPGRADE, phase, "", from + ":" + to);
    }

    public PostgresUpgrade in(String next) {
        return new PostgresUpgrade(id, next, from, to);
    }

    @Override
    public boolean active() {
        return !phase.equals(DONE);
    }

    /** Patroni must not promote this member: the leader is about to stop, or stopped, for the upgrade. */
    public boolean fenced() {
        return List.of(FENCE, STOP, UPGRADE, ROLLBACK).contains(phase);
    }

    /** Patroni stays stopped on this host. */
    public boolean stopped() {
        return List.of(STOP, UPGRADE, ROLLBACK).contains(phase);
    }

    /** The id under which a data host's status reports its pre-flight. */
    public String checkId() {
        return "upgrade-check:" + id;
    }

    /** The id under which the leader's status reports pg_upgrade's run. */
    public String upgradeId() {
        return "pg-upgrade:" + id;
    }

    /** The id under which the leader's status reports the rollback of its data directory. */
    public String rollbackId() {
        return "upgrade-rollback:" + id;
    }

    @Override
    public String describe() {
        return "major upgrade " + id + " of PostgreSQL " + from + " to " + to;
    }
}
