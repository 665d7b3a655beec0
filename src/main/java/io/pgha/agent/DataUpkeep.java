package io.pgha.agent;

import io.pgha.dcs.Lock;
import io.pgha.model.ClusterSpec;
import io.pgha.model.Health;
import io.pgha.postgres.BackupMarker;
import io.pgha.postgres.ClientPause;
import io.pgha.postgres.FailsafeMemory;
import io.pgha.postgres.LeaderChangeLog;
import io.pgha.postgres.PatroniApi;
import io.pgha.postgres.PatroniConfig;
import io.pgha.postgres.PgSetting;
import io.pgha.postgres.PoolerAuth;
import io.pgha.postgres.PostgresProbe;
import io.pgha.postgres.ReplicaRepair;
import io.pgha.postgres.RolePasswords;
import io.pgha.postgres.RollingRestart;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A data host's upkeep after a settled pass, as steps in this order: Patroni paused or resumed as the maintenance key
 * says, Patroni's failsafe memory forgotten, a replica that does not stream repaired (not while paused), the roles'
 * passwords kept (before the restart step, which reads pg_settings as the monitoring role they make), the pooler's auth function kept, the restore drills' marker written, a rolling
 * restart taken a step further (not while paused). None runs during a cluster restore or major upgrade.
 */
final class DataUpkeep {
    private static final Logger log = LoggerFactory.getLogger(DataUpkeep.class);

    private DataUpkeep() {
    }

    /**
     * The steps, in order, for the data host at {@code address}; {@code restartLock} is the cluster's; the leader's
     * restart or switchover pauses the poolers with {@code clientPause} and is recorded in {@code changes}.
     */
    static List<Step> steps(String hostName, String address, PatroniApi patroni, Lock restartLock, Path caFile,
                            ClientPause clientPause, LeaderChangeLog changes) {
        Postgres postgres = new Postgres(address, caFile);
        return List.of(new Pause(patroni), new Failsafe(patroni), new Repair(hostName, patroni, restartLock),
                new Passwords(postgres), new PoolerFunction(postgres), new Marker(postgres),
                new Restart(hostName, patroni, restartLock, clientPause, changes, postgres));
    }

    /** This host's Postgres, over TLS, logged in as a role the secrets name. */
    record Postgres(String address, Path caFile) {
        Connection connect(String user, String password) throws SQLException {
            return connect(user, password, "postgres");
        }

        Connection connect(String user, String password, String database) throws SQLException {
            return new PostgresProbe(user, password, 5, caFile).connect(address, ClusterSpec.POSTGRES_PORT, database);
        }

        Map<String, PgSetting> settings(String member, String monitorPassword, Collection<String> names)
                throws SQLException {
            return new PostgresProbe(PatroniConfig.MONITOR_USER, monitorPassword, 5, caFile).settings(member,
                    ClusterSpec.POSTGRES_PORT, names);
        }
    }

    /**
     * Patroni paused while the cluster is, resumed after. Any data host's Patroni takes the change cluster-wide (its
     * dynamic config), so a cluster whose leader is gone is resumed by its replicas' agents.
     */
    static final class Pause implements Step {
        private final PatroniApi patroni;

        Pause(PatroniApi patroni) {
            this.patroni = patroni;
        }

        @Override
        public String name() {
            return "Patroni pause";
        }

        @Override
        public boolean run(Pass pass) throws Exception {
            if (!pass.dataUpkeep() || !pass.maintenanceKnown()) {
                return false;
            }
            boolean wanted = pass.maintenance().isPresent();
            if (patroni.member().paused() == wanted) {
                return false;
            }
            patroni.pause(wanted);
            log.info("Patroni {}", wanted ? "paused: no automatic failover until pghactl resume" : "resumed");
            // Back soon: the probes should see Patroni's new state, and another agent's patch may have raced ours.
            return true;
        }
    }

    /** Forgets the leader Patroni remembers from a failsafe call once etcd has no leader key for it. */
    static final class Failsafe implements Step {
        private final PatroniApi patroni;
        private final FailsafeMemory memory = new FailsafeMemory();

        Failsafe(PatroniApi patroni) {
            this.patroni = patroni;
        }

        @Override
        public String name() {
            return "failsafe memory";
        }

        @Override
        public boolean run(Pass pass) throws Exception {
            return pass.dataUpkeep()
                    && memory.step(patroni, Duration.ofSeconds(pass.spec().orElseThrow().patroni().ttl()));
        }

        @Override
        public boolean urgent(Health probed, long secretsRevision) {
            return !memory.isStale() && memory.observe(probed.patroni());
        }

        @Override
        public List<String> warnings() {
            return memory.isStale() ? List.of(FailsafeMemory.WARNING) : List.of();
        }
    }

    /** Rebuilds a replica that has not streamed for the spec's time, one host at a time under the restart lock. */
    static final class Repair implements Step {
        private final ReplicaRepair repair;

        Repair(String hostName, PatroniApi patroni, Lock restartLock) {
            this.repair = new ReplicaRepair(hostName, patroni, restartLock);
        }

        @Override
        public String name() {
            return "replica repair";
        }

        @Override
        public boolean run(Pass pass) throws Exception {
            return pass.disruptiveUpkeep() && repair.step(pass.probed(),
                    Duration.ofSeconds(pass.spec().orElseThrow().patroni().replicaRepairAfterSeconds()));
        }

        @Override
        public List<String> warnings() {
            return repair.note().map(List::of).orElse(List.of());
        }
    }

    /**
     * On the leader: PostgreSQL's role passwords as the secrets say (the monitoring role made, rotations set). A new
     * phase of a cluster restore checks them again: a restored cluster has them as they were then.
     */
    static final class Passwords implements Step {
        private final Postgres postgres;
        private RolePasswords passwords = new RolePasswords(new SecureRandom());
        private Optional<io.pgha.model.DataPhase> operationSeen = Optional.empty();

        Passwords(Postgres postgres) {
            this.postgres = postgres;
        }

        @Override
        public String name() {
            return "role passwords";
        }

        @Override
        public boolean run(Pass pass) {
            if (!pass.operation().equals(operationSeen)) {
                operationSeen = pass.operation();
                passwords = new RolePasswords(new SecureRandom());
            }
            if (!pass.dataUpkeep() || pass.secrets().isEmpty() || !pass.leaderRunning()) {
                return false;
            }
            try {
                passwords.step(pass.secrets().get(), pass.secretsRevision(),
                        password -> postgres.connect(PatroniConfig.SUPERUSER, password));
            } catch (SQLException e) {
                // Checked again at the next pass: a leader just promoted may not take logins for a moment.
                log.warn("PostgreSQL role passwords not checked: {}", e.getMessage());
            }
            return false;
        }

        /** A leader sets the passwords at once: the other hosts' probes log in with them. */
        @Override
        public boolean urgent(Health probed, long secretsRevision) {
            return Pass.leaderRunning(probed) && secretsRevision != 0 && passwords.doneFor() != secretsRevision;
        }

        /** On the leader, the generation its roles' passwords are set to. */
        @Override
        public OptionalLong secretsInEffect(Health probed) {
            boolean leader = probed.patroni() != null && probed.patroni().isLeader();
            return leader ? OptionalLong.of(passwords.doneFor()) : OptionalLong.empty();
        }
    }

    /**
     * On the leader, with a pooler in the spec: the pooler's auth role and the function its auth query calls, checked
     * when this host becomes the leader, for each new spec, and every minute (a database created since from template0
     * lacks the function).
     */
    static final class PoolerFunction implements Step {
        private static final long EVERY_NANOS = Duration.ofMinutes(1).toNanos();
        private final Postgres postgres;
        private long checkedAt;
        private Optional<ClusterSpec> checkedFor = Optional.empty();

        PoolerFunction(Postgres postgres) {
            this.postgres = postgres;
        }

        @Override
        public String name() {
            return "pooler auth function";
        }

        @Override
        public boolean run(Pass pass) {
            Optional<String> password = pass.secrets().flatMap(s -> s.get("superuser"));
            if (!pass.dataUpkeep() || pass.spec().orElseThrow().pooler().isEmpty() || password.isEmpty()
                    || !pass.leaderRunning()) {
                checkedFor = Optional.empty();
                return false;
            }
            long now = System.nanoTime();
            if (checkedFor.equals(pass.spec()) && now - checkedAt < EVERY_NANOS) {
                return false;
            }
            try {
                List<String> changed = PoolerAuth.ensure(db -> postgres.connect(PatroniConfig.SUPERUSER,
                        password.get(), db));
                if (!changed.isEmpty()) {
                    log.info("the pooler's auth function made in {}", changed);
                }
                checkedFor = pass.spec();
                checkedAt = now;
            } catch (SQLException e) {
                log.warn("the pooler's auth function not checked: {}", e.getMessage());
            }
            return false;
        }
    }

    /** On the leader, with a backup section: the mark that restore drills look for, every five minutes. */
    static final class Marker implements Step {
        private final Postgres postgres;
        private final BackupMarker marker = new BackupMarker();

        Marker(Postgres postgres) {
            this.postgres = postgres;
        }

        @Override
        public String name() {
            return "backup marker";
        }

        @Override
        public boolean run(Pass pass) {
            long now = System.nanoTime();
            Optional<String> password = pass.secrets().flatMap(s -> s.get("superuser"));
            if (!pass.dataUpkeep() || pass.spec().orElseThrow().backup().isEmpty() || password.isEmpty()
                    || !pass.leaderRunning() || !marker.due(now)) {
                return false;
            }
            try (Connection c = postgres.connect(PatroniConfig.SUPERUSER, password.get())) {
                marker.write(c, now);
            } catch (SQLException e) {
                log.warn("backup marker not written: {}", e.getMessage());
            }
            return false;
        }
    }

    /** A Postgres restart the spec's parameters need, one host at a time under the restart lock. */
    static final class Restart implements Step {
        private final RollingRestart restart;
        private final Postgres postgres;

        Restart(String hostName, PatroniApi patroni, Lock restartLock, ClientPause clientPause,
                LeaderChangeLog changes, Postgres postgres) {
            this.restart = new RollingRestart(hostName, patroni, restartLock, clientPause, changes);
            this.postgres = postgres;
        }

        @Override
        public String name() {
            return "rolling restart";
        }

        @Override
        public boolean run(Pass pass) throws Exception {
            if (!pass.disruptiveUpkeep()) {
                return false;
            }
            Map<String, String> parameters = pass.desired().patroni().map(PatroniConfig.Document::parameters)
                    .orElseGet(() -> PatroniConfig.parameters(pass.spec().orElseThrow()));
            return restart.step(parameters, Duration.ofSeconds(pass.spec().orElseThrow().patroni().loopWait()),
                    (member, names) -> postgres.settings(member, pass.secrets().flatMap(s -> s.get("monitor"))
                            .orElseThrow(() -> new SQLException("no cluster secrets yet")), names));
        }
    }
}
