package io.pgha.postgres;

import io.pgha.dcs.Lock;
import io.pgha.model.ClusterSpec;
import io.pgha.model.LeaderChange;
import io.pgha.model.Pending;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rolls out Postgres parameters that need a restart, one data host at a time under the cluster-wide restart lock,
 * in the order PostgreSQL's hot-standby rule requires (see {@link InEffect#HOT_STANDBY_MINIMUMS}):
 * <ul>
 * <li>A host restarts only when its restart would put a desired value in effect, read back from pg_settings; a
 * replica whose lowered hot-standby parameter is held up by the leader's higher value waits for the leader instead
 * of restarting in vain.</li>
 * <li>Replicas go first: a value Postgres cannot start with fails on a replica, never on the leader, and a raised
 * hot-standby parameter must run on every replica before the primary may use it.</li>
 * <li>The leader goes last. When it only raises values it first hands leadership to a replica that already runs
 * them (the write gap of a switchover, and the old leader comes back as a replica with the new values). When it
 * lowers a hot-standby parameter it restarts in place: every replica still runs the old, higher value, so a
 * switchover would only hand the same pending restart to the new leader; once the primary runs the lower value,
 * the replicas follow.</li>
 * </ul>
 * A parameter that needs only a reload is Patroni's to apply; this steps in only where Patroni leaves one out of
 * effect (see {@link #reload}).
 * Called on every converge pass of a data host; a restart that does not finish is an exception, and the caller
 * retries with backoff.
 */
public final class RollingRestart {
    private static final Logger log = LoggerFactory.getLogger(RollingRestart.class);
    private static final Duration SETTLE = Duration.ofSeconds(120);
    /** The wait between reloads asked for the same values doubles, up to this. */
    private static final Duration RELOAD_WAIT_LIMIT = Duration.ofMinutes(10);

    /** Reads pg_settings of a member's Postgres, by the address Patroni gives for it. */
    public interface Settings {
        Map<String, PgSetting> read(String address, Collection<String> names) throws SQLException;
    }

    private final String name;
    private final PatroniApi patroni;
    private final Lock lock;
    private final ClientPause clientPause;
    private final LeaderChangeLog changes;
    private final LongSupplier clock;
    private String lastWait = "";
    /** The reloadable values out of effect here (name=desired), since when (clock), or since the last reload. */
    private List<String> reloadWaiting = List.of();
    private long reloadWaitSince;
    private Duration reloadWait = Duration.ZERO;
    private int reloadsAsked;

    /** @param clientPause pauses the poolers while the leader switches over or restarts in place */
    /** @param changes where the leader's switchover before its restart is recorded */
    public RollingRestart(String name, PatroniApi patroni, Lock lock, ClientPause clientPause,
                          LeaderChangeLog changes) {
        this(name, patroni, lock, clientPause, changes, System::nanoTime);
    }

    /** @param clock nanoseconds, as {@link System#nanoTime()} */
    RollingRestart(String name, PatroniApi patroni, Lock lock, ClientPause clientPause, LongSupplier clock) {
        this(name, patroni, lock, clientPause, LeaderChangeLog.NONE, clock);
    }

    private RollingRestart(String name, PatroniApi patroni, Lock lock, ClientPause clientPause,
                           LeaderChangeLog changes, LongSupplier clock) {
        this.name = name;
        this.patroni = patroni;
        this.lock = lock;
        this.clientPause = clientPause;
        this.changes = changes;
        this.clock = clock;
    }

    /** What {@code pghactl plan} shows: the restart this member still owes, if Patroni says one is pending. */
    public static Optional<String> pending(PatroniApi patroni) {
        try {
            PatroniClient.Member me = patroni.member();
            if (!me.pendingRestart()) {
                return Optional.empty();
            }
            return Optional.of("Postgres restart pending for a changed setting: one data host at a time under the"
                    + " cluster restart lock, " + (me.isLeader() ? "this leader after the replicas that can apply it"
                    : "replicas before the leader, unless a lowered hot-standby parameter waits for the leader"));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Takes this host one step further; true while a restart, or a first reload, is still to come here (call again
     * soon).
     *
     * @param desired  the Postgres parameters every member is to run with
     * @param loopWait Patroni's loop_wait: how soon it applies a changed parameter by itself
     */
    public boolean step(Map<String, String> desired, Duration loopWait, Settings settings)
            throws IOException, InterruptedException {
        PatroniClient.Member me = patroni.member();
        List<PatroniClient.ClusterMember> members;
        try {
            members = patroni.cluster();
        } catch (IOException e) {
            // GET /cluster reads etcd: during an outage nothing restarts, and nothing has failed either.
            waiting("no restart decisions while Patroni cannot list the cluster: " + e.getMessage());
            return me.pendingRestart();
        }
        Optional<PatroniClient.ClusterMember> self = members.stream().filter(m -> m.name().equals(name)).findFirst();
        Optional<PatroniClient.ClusterMember> leader = members.stream()
                .filter(PatroniClient.ClusterMember::isLeader).findFirst();
        if (!me.state().equals("running") || self.isEmpty()) {
            return false;
        }
        Map<String, PgSetting> here = read(settings, self.get().host(), desired.keySet());
        List<Pending> notInEffect = InEffect.parameters(desired, here, Map.of(), me.isLeader());
        if (notInEffect.stream().noneMatch(p -> p.waitsFor().equals(Pending.RESTART))) {
            waiting("");
            return reload(notInEffect.stream().filter(p -> p.waitsFor().equals(Pending.RELOAD)).toList(),
                    loopWait);
        }
        Map<String, PgSetting> leaderSettings = Map.of();
        if (!me.isLeader() && leader.isPresent()) {
            try {
                leaderSettings = settings.read(leader.get().host(), InEffect.HOT_STANDBY_MINIMUMS);
            } catch (SQLException e) {
                // Without them a restart here could be in vain (a lowered value the leader still holds up).
                waiting("cannot read the leader's settings, no restart here until it answers: " + e.getMessage());
                return true;
            }
        }
        List<Pending> pending = InEffect.parameters(desired, here, leaderSettings, me.isLeader());
        List<Pending> mine = pending.stream().filter(p -> p.waitsFor().equals(Pending.RESTART)).toList();
        if (mine.isEmpty()) {
            List<Pending> held = pending.stream().filter(p -> p.waitsFor().equals(Pending.LEADER_RESTART)).toList();
            waiting(held.isEmpty() ? "" : describe(held));
            return !held.isEmpty();
        }
        if (me.isLeader()) {
            List<String> first = replicasFirst(members, desired, here, settings);
            if (!first.isEmpty()) {
                waiting("restart pending on the leader (" + describe(mine) + "); replicas restart first: "
                        + String.join(", ", first));
                return true;
            }
        }
        Optional<Lock.Held> held = lock.tryAcquire();
        if (held.isEmpty()) {
            waiting("restart pending (" + describe(mine) + "); another data host holds the restart lock");
            return true;
        }
        lastWait = "";
        try (Lock.Held h = held.get()) {
            if (me.isLeader() && InEffect.lowersHotStandbyMinimum(desired, here)) {
                log.info("restarting the leader in place ({}): a lowered hot-standby parameter takes effect on"
                        + " the primary first, the replicas follow", describe(mine));
            } else if (me.isLeader() && handOver(members, h)) {
                // The demotion restarted Postgres as a replica, which may already run every new value.
                Map<String, PgSetting> now = read(settings, self.get().host(), desired.keySet());
                if (InEffect.parameters(desired, now, Map.of(), false).stream()
                        .noneMatch(p -> p.waitsFor().equals(Pending.RESTART))) {
                    log.info("restart done: Postgres came back as a replica with the new settings");
                    return false;
                }
            }
            restart(h);
        }
        return false;
    }

    /**
     * Patroni puts a changed reloadable parameter in effect on its next loop, except one that reaches it while its
     * Postgres is not running (starting as a replica after a switchover, say): Patroni 3.0 then takes the value in
     * without comparing it with pg_settings and never writes it out, and it stays out of effect until Postgres
     * restarts. So once values have waited two of Patroni's loops and more, this asks Patroni to reload (it
     * compares again then); if they are still out of effect, again after twice as long, up to
     * {@link #RELOAD_WAIT_LIMIT} (a value Postgres refuses stays out of effect, and the status says so). True while
     * the first reload is still to come.
     */
    private boolean reload(List<Pending> waiting, Duration loopWait) throws IOException {
        long now = clock.getAsLong();
        List<String> values = waiting.stream().map(p -> p.what() + "=" + p.desired()).toList();
        if (!values.equals(reloadWaiting)) {
            // New values (a new spec): Patroni's own loop comes first again.
            reloadWaiting = values;
            reloadWaitSince = now;
            reloadWait = loopWait.multipliedBy(2).plusSeconds(5);
            reloadsAsked = 0;
        }
        if (waiting.isEmpty()) {
            return false;
        }
        if (now - reloadWaitSince >= reloadWait.toNanos()) {
            log.warn("asking Patroni to reload: {} (out of effect for {} s)", describe(waiting),
                    Duration.ofNanos(now - reloadWaitSince).toSeconds());
            patroni.reload();
            reloadsAsked++;
            reloadWaitSince = now;
            reloadWait = reloadWait.multipliedBy(2).compareTo(RELOAD_WAIT_LIMIT) > 0 ? RELOAD_WAIT_LIMIT
                    : reloadWait.multipliedBy(2);
        }
        return reloadsAsked == 0;
    }

    /**
     * The running replicas whose own restart would put a desired value in effect: they go before the leader. One
     * whose settings cannot be read is waited for too (it is restarting, or about to).
     */
    private List<String> replicasFirst(List<PatroniClient.ClusterMember> members, Map<String, String> desired,
                                       Map<String, PgSetting> leader, Settings settings) {
        List<String> first = new ArrayList<>();
        for (PatroniClient.ClusterMember m : members) {
            if (m.isLeader() || !m.state().equals("running")) {
                continue;
            }
            try {
                Map<String, PgSetting> theirs = settings.read(m.host(), desired.keySet());
                if (InEffect.parameters(desired, theirs, leader, false).stream()
                        .anyMatch(p -> p.waitsFor().equals(Pending.RESTART))) {
                    first.add(m.name());
                }
            } catch (SQLException e) {
                first.add(m.name() + " (settings unreadable: " + e.getMessage() + ")");
            }
        }
        return first;
    }

    private void restart(Lock.Held held) throws IOException, InterruptedException {
        PatroniClient.Member before = patroni.member();
        log.info("restarting Postgres for a changed setting (holding the restart lock)");
        // The leader's clients through the poolers wait out its restart.
        try (ClientPause.Paused paused = before.isLeader() ? clientPause.pause() : ClientPause.NOT_PAUSED) {
            patroni.restart();
            PatroniClient.Member me = MemberWait.until(patroni, held, SETTLE,
                    m -> m.state().equals("running") && !Objects.equals(m.postmasterStart(), before.postmasterStart()),
                    "Postgres on " + name + " not running again within " + SETTLE.toSeconds() + " s of its restart");
            log.info("restart done: Postgres runs again (started {})", me.postmasterStart());
            if (me.isLeader()) {
                paused.resumeOn(name);
            }
        }
    }

    /** Switchover to the first replica that may take over; false when none would, and the leader stays. */
    private boolean handOver(List<PatroniClient.ClusterMember> members, Lock.Held held)
            throws IOException, InterruptedException {
        for (PatroniClient.ClusterMember candidate : PatroniClient.takeoverCandidates(members)) {
            try {
                log.info("switching over to {} before restarting the leader", candidate.name());
                long at = System.currentTimeMillis();
                try (ClientPause.Paused paused = clientPause.pause()) {
                    patroni.switchover(name, candidate.name());
                    changes.record(new LeaderChange(LeaderChange.SWITCHOVER, name, candidate.name(), at,
                            "agent on " + name, "rolling restart", 0));
                    paused.resumeOn(candidate.name());
                }
                // The demotion restarts Postgres here as a replica.
                MemberWait.until(patroni, held, SETTLE, m -> m.state().equals("running") && !m.isLeader(),
                        "Postgres on " + name + " not running as a replica within " + SETTLE.toSeconds()
                                + " s of the switchover");
                return true;
            } catch (IOException e) {
                log.warn("switchover to {} refused: {}", candidate.name(), e.getMessage());
            }
        }
        log.warn("no replica can take over: restarting the leader in place");
        return false;
    }

    private Map<String, PgSetting> read(Settings settings, String address, Collection<String> names)
            throws IOException {
        try {
            return settings.read(address, names);
        } catch (SQLException e) {
            throw new IOException("cannot read pg_settings on " + address + ":" + ClusterSpec.POSTGRES_PORT + ": "
                    + e.getMessage(), e);
        }
    }

    /** Logs a reason to wait once, not on every pass. */
    private void waiting(String why) {
        if (!why.isEmpty() && !why.equals(lastWait)) {
            log.info("{}", why);
        }
        lastWait = why;
    }

    private static String describe(List<Pending> pending) {
        return String.join("; ", pending.stream().map(Pending::describe).toList());
    }
}
