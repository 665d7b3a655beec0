package io.pgha.postgres;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.EtcdAdmin;
import io.pgha.dcs.PhaseDriver;
import io.pgha.model.ClusterSpec;
import io.pgha.model.Health;
import io.pgha.model.HostStatus;
import io.pgha.model.PostgresUpgrade;
import io.pgha.model.Role;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * A major upgrade of the whole cluster in place, each step waited for on every data host as its status reads it back:
 * the pre-flight everywhere (nothing stops before it passed); every replica tagged {@code nofailover}; the leader's
 * Patroni stopped (its replicas receive its last WAL), then the replicas'; {@code pg_upgrade --link} on the leader.
 * Any failure until here rolls back: the leader's old directory made startable again, every host on the old major as
 * before, nothing lost. The point of no return: Patroni's keys removed (the new cluster has a new system id) and the
 * spec written with the new major, on which the leader's Patroni adopts the upgraded directory; the replicas are
 * cloned from it; the backup repository's stanza upgraded and a full backup taken; every host on its usual plan.
 */
public final class MajorUpgrade {
    /** Replication a replica may be behind and still count as caught up under a steady stream of writes. */
    static final long CAUGHT_UP_BYTES = 16L << 20;
    /** pg_upgrade carries the planner statistics over from this major on. */
    static final int STATISTICS_KEPT = 18;

    private final Dcs dcs;
    private final EtcdAdmin admin;
    private final ClusterSpec cluster;
    private final AfterStart after;
    private final Function<ClusterSpec.Host, PatroniClient> patroni;
    private final PhaseDriver driver;

    /** What others do once the new leader runs: the backup repository's part (nothing without one), statistics. */
    public interface AfterStart {
        /** pgBackRest's stanza taken to the new major (WAL archiving fails until it is). */
        void upgradeStanza() throws IOException, InterruptedException;

        /** A full backup of the new major; its label. */
        String fullBackup() throws IOException, InterruptedException;

        /**
         * Planner statistics for every database of the leader at {@code address}, as vacuumdb --analyze-in-stages
         * makes them: pg_upgrade before 18 carries none over.
         */
        void analyzeInStages(String address) throws IOException;
    }

    /**
     * How it went, in seconds from the start: {@code leaderStopped} and {@code leaderBack} bound the write gap as the
     * statuses saw it; {@code replicasBack} ends the time without a standby. {@code late}: data hosts without a status
     * at the end, which rejoin on the new major when their agents are back.
     */
    public record Outcome(String leader, long revision, double leaderStopped, double leaderBack, double replicasBack,
                          double seconds, String backup, List<String> late) {
    }

    /** The upgrade failed before its point of no return and was rolled back: every host on the old major. */
    public static final class RolledBack extends IOException {
        public RolledBack(String message) {
            super(message);
        }
    }

    /** {@code cluster}: the stored spec (the old major); {@code patroni}: a client for a data host's REST API. */
    public MajorUpgrade(Dcs dcs, EtcdAdmin admin, ClusterSpec cluster, AfterStart after,
                        Function<ClusterSpec.Host, PatroniClient> patroni, PrintWriter notes, Duration timeout) {
        this.dcs = dcs;
        this.admin = admin;
        this.cluster = cluster;
        this.after = after;
        this.patroni = patroni;
        this.driver = new PhaseDriver(dcs, notes, timeout, "The upgrade stays where it is (pghactl status shows each"
                + " host's phase)");
    }

    /**
     * Runs {@code upgrade} from its first phase; {@code specText} (the new major) is written over {@code readRevision}
     * at the point of no return.
     */
    public Outcome run(PostgresUpgrade upgrade, String specText, long readRevision) throws IOException,
            InterruptedException, DcsException {
        List<String> data = data();
        Map<String, HostStatus> before = driver.statuses();
        List<String> silent = data.stream().filter(h -> !before.containsKey(h)).toList();
        if (!silent.isEmpty()) {
            throw new RolledBack("every data host's agent must take part, but " + silent + " report no status: start"
                    + " their agents first; nothing was changed");
        }
        String leader = data.stream().filter(h -> leads(before.get(h), upgrade.from())).findFirst()
                .orElseThrow(() -> new RolledBack("no data host reports a running leader on PostgreSQL "
                        + upgrade.from() + "; nothing was changed"));
        List<String> replicas = data.stream().filter(h -> !h.equals(leader)).toList();

        driver.note("pre-flight on " + String.join(", ", data) + " (PostgreSQL " + upgrade.to() + " installed, disk,"
                + " and on the leader " + leader + " extensions and pg_upgrade --check)");
        driver.ask(data, upgrade.in(PostgresUpgrade.CHECK).request());
        try {
            driver.await("pre-flight passed on every data host", data, s -> preflight(s, upgrade,
                    s.host().equals(leader)));
        } catch (PhaseDriver.Refused | IOException e) {
            driver.ask(data, upgrade.in(PostgresUpgrade.DONE).request());
            throw new RolledBack("the pre-flight refused the upgrade: " + e.getMessage() + "; nothing was changed,"
                    + " every data host stays on PostgreSQL " + upgrade.from());
        }

        try {
            driver.note("tagging " + String.join(", ", replicas) + " nofailover, so that the leader stops without a"
                    + " failover");
            driver.ask(data, upgrade.in(PostgresUpgrade.FENCE).request());
            driver.await("every replica tagged nofailover in Patroni", List.of(leader), s -> fenced(leader, replicas));
            driver.note("stopping Patroni and PostgreSQL " + upgrade.from() + " on the leader " + leader
                    + ": writes stop here");
            driver.ask(List.of(leader), upgrade.in(PostgresUpgrade.STOP).request());
            driver.await(leader + " stopped", List.of(leader), MajorUpgrade::stoppedOrWhy);
            double stopped = driver.seconds();
            driver.note("stopping " + String.join(", ", replicas) + "; pg_upgrade --link on " + leader);
            driver.ask(replicas, upgrade.in(PostgresUpgrade.STOP).request());
            driver.ask(List.of(leader), upgrade.in(PostgresUpgrade.UPGRADE).request());
            driver.await("every replica stopped", replicas, true, MajorUpgrade::stoppedOrWhy);
            driver.await(leader + " upgraded", List.of(leader), s -> resourceDone(s, upgrade.upgradeId()));
            deletePatroniKeys();
            long written = dcs.applySpec(specText, readRevision);
            driver.note("point of no return: Patroni's keys removed, the spec with PostgreSQL " + upgrade.to()
                    + " written as revision " + written);
            return finish(upgrade, leader, replicas, written, stopped);
        } catch (PhaseDriver.Refused | IOException | DcsException e) {
            if (e instanceof PointOfNoReturnPassed) {
                throw (IOException) e;
            }
            throw rollback(upgrade, data, leader, e.getMessage());
        }
    }

    /** After the point of no return: an error says where each host is, and nothing rolls back. */
    private static final class PointOfNoReturnPassed extends IOException {
        PointOfNoReturnPassed(String message) {
            super(message);
        }
    }

    private void deletePatroniKeys() throws DcsException {
        long deleted = admin.deletePatroniKeys();
        driver.note("removed Patroni's " + deleted + " keys of " + cluster.cluster() + " (the upgraded cluster has a"
                + " new system id)");
    }

    private Outcome finish(PostgresUpgrade upgrade, String leader, List<String> replicas, long written, double stopped)
            throws IOException, InterruptedException {
        try {
            // The leader's agent must plan with the new spec before it may start Patroni, or it would start the old
            // major on a directory pg_upgrade has taken over.
            driver.await(leader + " follows the spec of PostgreSQL " + upgrade.to(), List.of(leader),
                    s -> s.specRevision() >= written ? Optional.empty() : Optional.of("at revision "
                            + s.specRevision()));
            driver.ask(List.of(leader), upgrade.in(PostgresUpgrade.DONE).request());
            driver.await(leader + " leads on PostgreSQL " + upgrade.to() + " and takes writes", List.of(leader),
                    s -> leadsWritable(s, upgrade.to()));
            double back = driver.seconds();
            // What the new leader must restart for (a setting pg_upgrade's cluster lacks) is restarted now, before
            // replicas and the repository depend on it.
            driver.await(leader + " has the spec in effect", List.of(leader), s -> s.applied() ? Optional.empty()
                    : Optional.of(s.specState() + " " + s.pending()));
            driver.note("cloning " + String.join(", ", replicas) + " from " + leader + " with pg_basebackup");
            driver.ask(replicas, upgrade.in(PostgresUpgrade.REJOIN).request());
            String trouble = "";
            try {
                // pgBackRest on the repository host finds the new data directories through its configuration.
                driver.await("the backup repository host follows the spec of PostgreSQL " + upgrade.to(),
                        cluster.hostsWith(Role.BACKUP).stream().map(ClusterSpec.Host::name).toList(),
                        s -> s.specRevision() >= written && s.applied() ? Optional.empty()
                                : Optional.of("at revision " + s.specRevision() + ", " + s.specState()));
                after.upgradeStanza();
                driver.note("backup repository's stanza upgraded to PostgreSQL " + upgrade.to());
            } catch (IOException e) {
                trouble = "the backup repository's stanza was not upgraded: " + e.getMessage() + " (WAL archiving"
                        + " fails until pgbackrest stanza-upgrade succeeds on the repository host; then pghactl"
                        + " backup run --type full)";
            }
            if (upgrade.to() < STATISTICS_KEPT) {
                try {
                    after.analyzeInStages(cluster.host(leader).orElseThrow().address());
                    driver.note("planner statistics made on " + leader + " (analyze in stages, as vacuumdb does)");
                } catch (IOException e) {
                    trouble = "the planner statistics were not made: " + e.getMessage() + " (run vacuumdb --all"
                            + " --analyze-in-stages on " + leader + ")";
                }
            }
            List<String> late = driver.await("every replica streaming from " + leader + " on PostgreSQL "
                    + upgrade.to(), replicas, true, s -> streams(s, upgrade.to()));
            double replicasBack = driver.seconds();
            String backup = "";
            if (trouble.isEmpty()) {
                try {
                    // After the replicas: the repository backs up from a standby.
                    backup = after.fullBackup();
                    driver.note("full backup of PostgreSQL " + upgrade.to() + ": " + backup);
                } catch (IOException e) {
                    trouble = "the full backup of PostgreSQL " + upgrade.to() + " failed: " + e.getMessage()
                            + " (the repository holds no backup of the new major until pghactl backup run --type"
                            + " full succeeds)";
                }
            }
            driver.ask(data(), upgrade.in(PostgresUpgrade.DONE).request());
            if (!trouble.isEmpty()) {
                throw new PointOfNoReturnPassed("the cluster runs PostgreSQL " + upgrade.to() + " (spec revision "
                        + written + "), but " + trouble);
            }
            return new Outcome(leader, written, stopped, back, replicasBack, driver.seconds(), backup, late);
        } catch (PointOfNoReturnPassed e) {
            throw e;
        } catch (IOException | DcsException e) {
            // Every host on its usual plan for the new major: a leader that has not come up is Patroni's to start,
            // a replica not cloned yet is cloned from the leader or the repository.
            try {
                driver.ask(data(), upgrade.in(PostgresUpgrade.DONE).request());
            } catch (DcsException ignored) {
                // the error below says where things are
            }
            throw new PointOfNoReturnPassed("the upgrade passed its point of no return (PostgreSQL " + upgrade.to()
                    + " owns the leader's data, spec revision " + written + ") and then stopped: " + e.getMessage()
                    + ". pghactl status shows each host; the old data directories are kept");
        }
    }

    private List<String> data() {
        return cluster.hostsWith(Role.DATA).stream().map(ClusterSpec.Host::name).toList();
    }

    private RolledBack rollback(PostgresUpgrade upgrade, List<String> data, String leader, String reason)
            throws InterruptedException {
        driver.note("the upgrade failed: " + reason + "; rolling back to PostgreSQL " + upgrade.from());
        try {
            driver.ask(List.of(leader), upgrade.in(PostgresUpgrade.ROLLBACK).request());
            driver.await(leader + "'s PostgreSQL " + upgrade.from() + " directory as before", List.of(leader),
                    s -> resourceDone(s, upgrade.rollbackId()));
            driver.ask(data, upgrade.in(PostgresUpgrade.DONE).request());
            driver.await("every data host runs PostgreSQL " + upgrade.from() + " again", data, true,
                    s -> runs(s, upgrade.from()));
            return new RolledBack("the upgrade failed: " + reason + "; rolled back, every data host runs PostgreSQL "
                    + upgrade.from() + " with its data as before");
        } catch (PhaseDriver.Refused | IOException | DcsException e) {
            return new RolledBack("the upgrade failed: " + reason + "; and its rollback did not complete: "
                    + e.getMessage() + ". pghactl status shows each host's phase; " + leader + "'s PostgreSQL "
                    + upgrade.from() + " directory is as pg_upgrade left it (rename global/pg_control.old back to"
                    + " pg_control if it is there)");
        }
    }

    private Optional<String> fenced(String leader, List<String> replicas) {
        try {
            List<PatroniClient.ClusterMember> members = patroni.apply(cluster.host(leader).orElseThrow()).cluster();
            List<String> open = replicas.stream().filter(r -> members.stream().noneMatch(m -> m.name().equals(r)
                    && m.noFailover())).toList();
            return open.isEmpty() ? Optional.empty() : Optional.of("Patroni lists " + open + " without nofailover");
        } catch (IOException e) {
            return Optional.of("Patroni's /cluster: " + e.getMessage());
        }
    }

    private static boolean leads(HostStatus s, int major) {
        Health.Patroni p = s.health().patroni();
        Health.Postgres pg = s.health().postgres();
        return p != null && p.isLeader() && "running".equals(p.state()) && pg != null
                && Integer.valueOf(major).equals(pg.major());
    }

    /** The pre-flight's verdict: passed, still to come, or a refusal that ends the wait. */
    static Optional<String> preflight(HostStatus s, PostgresUpgrade upgrade, boolean leader) {
        Optional<HostStatus.ResourceLine> check = s.resource(upgrade.checkId());
        Optional<HostStatus.ResourceLine> failed = s.resources().stream().filter(r -> r.status().equals("failed"))
                .findFirst();
        if (failed.isPresent()) {
            throw new PhaseDriver.Refused(s.host() + ": " + failed.get().id() + ": " + failed.get().message());
        }
        if (check.isEmpty() || !check.get().status().equals("ok")) {
            return Optional.of("pre-flight " + check.map(HostStatus.ResourceLine::status).orElse("not run yet"));
        }
        if (leader) {
            return leads(s, upgrade.from()) ? Optional.empty() : Optional.of("not the running leader: "
                    + s.describePatroni());
        }
        Health.Postgres pg = s.health().postgres();
        if (pg == null || !pg.isStreaming() || pg.lagBytes() == null || pg.lagBytes() > CAUGHT_UP_BYTES) {
            return Optional.of("replica not streaming and caught up (lag " + (pg == null ? "unknown" : pg.lagBytes())
                    + " bytes)");
        }
        return Optional.empty();
    }

    static Optional<String> stoppedOrWhy(HostStatus s) {
        boolean patroni = s.processes().stream().anyMatch(p -> p.name().equals("patroni") && p.running());
        Health.Postgres pg = s.health().postgres();
        boolean accepting = pg != null && Boolean.TRUE.equals(pg.accepting());
        return patroni || accepting ? Optional.of((patroni ? "Patroni" : "Postgres") + " still runs")
                : Optional.empty();
    }

    /** The resource {@code id} is done; its failure ends the wait. */
    static Optional<String> resourceDone(HostStatus s, String id) {
        Optional<HostStatus.ResourceLine> line = s.resource(id);
        if (line.isPresent() && line.get().status().equals("failed")) {
            throw new PhaseDriver.Refused(s.host() + ": " + line.get().message());
        }
        return line.filter(l -> l.status().equals("ok") || l.status().equals("changed")).isPresent()
                ? Optional.empty() : Optional.of(id + " " + line.map(HostStatus.ResourceLine::status)
                .orElse("not reported yet"));
    }

    private static Optional<String> leadsWritable(HostStatus s, int major) {
        Health.Postgres pg = s.health().postgres();
        return leads(s, major) && Boolean.FALSE.equals(pg.inRecovery()) ? Optional.empty()
                : Optional.of(s.describePatroni() + ", PostgreSQL " + (pg == null ? "not answering" : pg.major()));
    }

    private static Optional<String> streams(HostStatus s, int major) {
        Health.Postgres pg = s.health().postgres();
        return pg != null && pg.isStreaming() && Integer.valueOf(major).equals(pg.major()) ? Optional.empty()
                : Optional.of(s.describePatroni() + (pg == null ? "" : ", PostgreSQL " + pg.major()
                + (pg.isStreaming() ? " streaming" : " not streaming")));
    }

    private static Optional<String> runs(HostStatus s, int major) {
        Health.Patroni p = s.health().patroni();
        Health.Postgres pg = s.health().postgres();
        return p != null && "running".equals(p.state()) && pg != null && Boolean.TRUE.equals(pg.accepting())
                && Integer.valueOf(major).equals(pg.major()) ? Optional.empty() : Optional.of(s.describePatroni());
    }
}
