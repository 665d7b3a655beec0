package io.pgha.agent;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.Lock;
import io.pgha.dcs.Versioned;
import io.pgha.engine.ConvergeRun;
import io.pgha.engine.Converger;
import io.pgha.model.ClusterRestore;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.ClusterSpec;
import io.pgha.model.ClusterSpecParser;
import io.pgha.model.Health;
import io.pgha.model.HostRequest;
import io.pgha.model.InvalidSpecException;
import io.pgha.model.Role;
import io.pgha.postgres.BackupMarker;
import io.pgha.postgres.FailsafeMemory;
import io.pgha.postgres.PatroniClient;
import io.pgha.postgres.PatroniConfig;
import io.pgha.postgres.PgSetting;
import io.pgha.postgres.PostgresProbe;
import io.pgha.postgres.ReplicaRepair;
import io.pgha.postgres.RolePasswords;
import io.pgha.postgres.RollingRestart;
import io.pgha.report.AgentMetrics;
import io.pgha.resources.Status;
import io.pgha.roles.DesiredState;
import io.pgha.roles.EtcdFacts;
import io.pgha.roles.HostCertificate;
import io.pgha.roles.HostRoles;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's one loop, in the manner of Patroni's HA loop: events (a spec seen by the watch, a stop) and the
 * converge timer only wake it; each cycle takes the spec and secrets it follows, computes the host's desired state,
 * runs the engine, takes a rolling restart, a replica repair and the failsafe workaround a step further, and hands its
 * state on as one immutable value. The loop's fields are its own: no other thread reads or writes them.
 */
final class AgentLoop {
    private static final Logger log = LoggerFactory.getLogger(AgentLoop.class);
    private static final long RESTART_LOCK_TTL_SECONDS = 30;

    private final String hostName;
    private final ClusterSpecParser parser;
    private final HostRoles hostRoles;
    private final DiskGate diskGate;
    private final Converger converger = new Converger();
    private final AgentMetrics metrics;
    private final Dcs dcs;
    private final PatroniClient patroni;
    private final Path caFile;
    private final HostCertificate certificate;
    private final String address;
    private RolePasswords rolePasswords = new RolePasswords(new java.security.SecureRandom());
    private final BackupMarker backupMarker = new BackupMarker();
    private final StateCache<String> specCache;
    private final StateCache<ClusterSecrets> secretsCache;
    private final EtcdOutage outage;
    private final Consumer<AgentState> publish;
    private final ConvergeSchedule schedule;
    private final RollingRestart rollingRestart;
    private final ReplicaRepair replicaRepair;
    private final FailsafeMemory failsafeMemory = new FailsafeMemory();
    private final EtcdCare etcdCare;
    private final BlockingQueue<Event> inbox = new LinkedBlockingQueue<>();

    // Confined to the loop thread.
    private Optional<Versioned<String>> followed = Optional.empty();
    private Optional<ClusterSpec> spec = Optional.empty();
    private Optional<ClusterSecrets> secrets = Optional.empty();
    private long secretsRevision;
    private long renderedSecrets;
    /** Watches the secrets on a data host, so that a rotation step reaches the next pass at once. */
    private Dcs.Watch secretsWatch;
    /** The cluster restore this data host takes part in, as its request key says (kept while etcd is away). */
    private Optional<ClusterRestore> restore = Optional.empty();
    private long requestRevision;
    private Dcs.Watch requestWatch;
    /** The request key may have changed since it was read: read it at the next pass (the watch says when). */
    private boolean requestUnread = true;
    private boolean dataHost;
    private String specError = "";
    private AgentState state;
    private Health probed = Health.NONE;
    private List<String> roleWarnings = List.of();

    AgentLoop(Parts parts, Consumer<AgentState> publish) {
        this.hostName = parts.hostName();
        this.parser = parts.parser();
        this.hostRoles = parts.hostRoles();
        this.diskGate = parts.diskGate();
        this.metrics = parts.metrics();
        this.dcs = parts.dcs();
        this.certificate = parts.certificate();
        this.caFile = certificate.files().ca();
        this.address = parts.address();
        // The REST password is read when a request goes out: a rotation reaches the loop with the next secrets.
        this.patroni = new PatroniClient(parts.address(), ClusterSpec.PATRONI_PORT, Duration.ofSeconds(5), sslContext(),
                () -> secrets.flatMap(x -> x.get("patroni_rest")).orElse(""));
        this.specCache = parts.specCache();
        this.secretsCache = parts.secretsCache();
        this.outage = parts.outage();
        this.schedule = new ConvergeSchedule(parts.drift());
        Lock restartLock = dcs.restartLock(hostName, RESTART_LOCK_TTL_SECONDS);
        this.rollingRestart = new RollingRestart(hostName, patroni, restartLock);
        this.replicaRepair = new ReplicaRepair(hostName, patroni, restartLock);
        this.etcdCare = parts.etcdCare();
        this.publish = publish;
    }

    /** What the loop is built from. */
    record Parts(String hostName, ClusterSpecParser parser, HostRoles hostRoles, DiskGate diskGate,
                 AgentMetrics metrics, Dcs dcs, String address, HostCertificate certificate, StateCache<String> specCache,
                 StateCache<ClusterSecrets> secretsCache, EtcdOutage outage, Duration drift, EtcdCare etcdCare) {
    }

    private SSLContext sslContext() {
        try {
            return certificate.sslContext();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Hands news to the loop; safe from any thread, never blocks. */
    void post(Event event) {
        inbox.add(event);
    }

    /** The last good spec and secrets from the disk cache, so that an etcd outage at start changes nothing. */
    void loadCaches() {
        secretsCache.read().ifPresent(cached -> {
            secrets = Optional.of(cached.value());
            secretsRevision = cached.modRevision();
        });
        specCache.read().ifPresent(cached -> {
            try {
                spec = Optional.of(parser.parse(cached.value(), "cached spec rev " + cached.modRevision()));
                followed = Optional.of(cached);
                log.info("using cached spec rev {} until etcd answers", cached.modRevision());
            } catch (InvalidSpecException e) {
                log.warn("ignoring the cached spec: {}", e.getMessage());
            }
        });
        state = AgentState.initial(spec, revision(), hostRoles.roles(spec), secrets);
        publish.accept(state);
    }

    /** Runs cycles until a {@link Event.Stop}; a converge pass that is under way is finished first. */
    void run() {
        try {
            cycles();
        } finally {
            closeWatches();
        }
    }

    private void cycles() {
        long nextPass = System.nanoTime();
        while (true) {
            try {
                Event event = inbox.poll(Math.max(0, nextPass - System.nanoTime()), TimeUnit.NANOSECONDS);
                List<Event> events = new ArrayList<>();
                if (event != null) {
                    events.add(event);
                    inbox.drainTo(events);
                }
                boolean stop = false;
                boolean news = false;
                for (Event e : events) {
                    stop |= e instanceof Event.Stop;
                    news |= !(e instanceof Event.Probed);
                    if (handle(e)) {
                        nextPass = System.nanoTime();
                    }
                }
                if (stop) {
                    return;
                }
                if (System.nanoTime() - nextPass >= 0) {
                    nextPass = System.nanoTime() + schedule.after(cycle()).toNanos();
                } else if (news) {
                    publishState(state.convergeError());
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // Whatever went wrong, the loop goes on: a frozen agent would stop repairing and reporting.
                log.error("agent loop: {}", describe(e), e);
                nextPass = System.nanoTime() + schedule.after(ConvergeSchedule.Pass.FAILED).toNanos();
            }
        }
    }

    /** Takes in one event; true when it calls for a converge pass at once. */
    private boolean handle(Event event) {
        if (event instanceof Event.SpecSeen seen) {
            return specSeen(seen.spec());
        }
        if (event instanceof Event.DataKeyChanged) {
            requestUnread = true;
            return dataHost;
        }
        if (event instanceof Event.DataWatchEnded) {
            // Watched again by the next pass on its schedule: a watch that fails at once must not spin the loop.
            closeWatches();
            return false;
        }
        if (event instanceof Event.Probed p) {
            boolean forgetNow = !failsafeMemory.isStale() && failsafeMemory.observe(p.health().patroni());
            probed = p.health();
            // A leader sets the roles' passwords at once: the other hosts' probes log in with them.
            Health.Patroni patroni = p.health().patroni();
            boolean passwordsDue = patroni != null && patroni.isLeader() && "running".equals(patroni.state())
                    && secrets.isPresent() && rolePasswords.doneFor() != secretsRevision;
            return forgetNow || passwordsDue;
        }
        if (event instanceof Event.SpecDeleted) {
            specError = "the spec key was deleted; still following rev " + revisionText();
            log.warn("{}", specError);
        }
        return false;
    }

    private boolean specSeen(Versioned<String> value) {
        if (followed.isPresent() && value.modRevision() <= followed.get().modRevision()) {
            return false;
        }
        try {
            ClusterSpec parsed = parser.parse(value.value(), "spec rev " + value.modRevision());
            spec = Optional.of(parsed);
            followed = Optional.of(value);
            specError = "";
            log.info("spec rev {} received", value.modRevision());
            try {
                specCache.write(value);
            } catch (IOException e) {
                log.error("cannot cache spec rev {}: {}", value.modRevision(), e.getMessage());
            }
            return true;
        } catch (InvalidSpecException e) {
            specError = "spec rev " + value.modRevision() + " refused, still following rev " + revisionText() + ": "
                    + e.getMessage();
            log.error("{}", specError);
            return false;
        }
    }

    /** One converge pass with the spec followed now. */
    private ConvergeSchedule.Pass cycle() throws InterruptedException {
        long revision = revision();
        // Only a data host's agent may read the secrets (etcd refuses the others); it reads them every pass and
        // watches them, so a rotation step reaches patroni.yml (or the leader's roles) within a second. Its request
        // key likewise, for a cluster restore's phases.
        if (spec.isPresent() && hostRoles.roles(spec).contains(Role.DATA)) {
            // The request key only when it may have changed: it is read-only otherwise, and while etcd is away a
            // second call would hold the pass for another timeout.
            if (readSecrets() && requestUnread) {
                readRestore();
            }
            if (secretsWatch == null) {
                secretsWatch = dcs.watchSecrets(secretsRevision, () -> post(new Event.DataKeyChanged()),
                        e -> post(new Event.DataWatchEnded()));
            }
            if (requestWatch == null) {
                requestWatch = dcs.watchRequest(hostName, requestRevision, () -> post(new Event.DataKeyChanged()),
                        e -> post(new Event.DataWatchEnded()));
            }
        } else {
            closeWatches();
        }
        try {
            // Renewed here, before the roles copy it to their programs, which then reload.
            certificate.ensure(java.time.Instant.now());
            Map<Role, String> refused = diskGate.refusals(spec);
            EtcdFacts etcd = etcdCare.before(spec, hostRoles.roles(spec));
            DesiredState desired = hostRoles.desired(spec, secrets, refused, etcd, restore);
            ConvergeRun run = converger.apply(desired.resources());
            if (desired.awaitsInstall() && run.converged()) {
                // The packages are in now: the rest of the roles, rendered for the versions installed.
                desired = hostRoles.desired(spec, secrets, refused, etcd, restore);
                run = converger.apply(desired.resources());
            }
            boolean etcdBusy = etcdCareAfter(desired);
            metrics.recordConverge(run);
            String refusal = desired.refused().entrySet().stream()
                    .map(e -> "refusing role " + e.getKey().id() + ": " + e.getValue()).findFirst().orElse("");
            String error = run.failures().stream().map(r -> r.id() + ": " + r.message()).findFirst().orElse(refusal);
            if (error.isEmpty()) {
                error = etcdCare.error();
            }
            if (run.count(Status.CHANGED) > 0 || !run.converged()) {
                log.info("converge of spec rev {}: {} changed, {} failed, {} ms", revision, run.count(Status.CHANGED),
                        run.count(Status.FAILED), run.durationMillis());
            }
            if (!refusal.isEmpty()) {
                log.warn("{}", refusal);
            }
            roleWarnings = desired.warnings();
            dataHost = desired.has(Role.DATA);
            if (run.converged() && dataHost) {
                renderedSecrets = secretsRevision;
            }
            state = new AgentState(spec, revision, revision, desired.roles(), hostRoles.roles(spec), Optional.of(run),
                    warnings(), specError, error, secrets, secretsInEffect(), etcdCare.report());
            publish.accept(state);
            if (!run.converged() || !refusal.isEmpty()) {
                return ConvergeSchedule.Pass.FAILED;
            }
            // A cluster restore stops and rebuilds every member: no repair, restart or failsafe step meanwhile.
            if (desired.has(Role.DATA) && spec.isPresent() && restore.filter(ClusterRestore::active).isEmpty()) {
                boolean forgetting = failsafeMemory.step(patroni, Duration.ofSeconds(spec.get().patroni().ttl()));
                boolean repairing = replicaRepair.step(probed,
                        Duration.ofSeconds(spec.get().patroni().replicaRepairAfterSeconds()));
                // Before the restart step, which reads pg_settings as the monitoring role this makes.
                keepRolePasswords();
                keepBackupMarker();
                boolean restarting = rollingRestart.step(PatroniConfig.parameters(spec.get()),
                        Duration.ofSeconds(spec.get().patroni().loopWait()), this::readSettings);
                if (!state.warnings().equals(warnings()) || state.secretsRevision() != secretsInEffect()) {
                    publishState(state.convergeError());
                }
                if (restarting || repairing || forgetting) {
                    return ConvergeSchedule.Pass.ROLLING_OUT;
                }
            }
            return etcdBusy ? ConvergeSchedule.Pass.ROLLING_OUT : ConvergeSchedule.Pass.SETTLED;
        } catch (IOException | RuntimeException e) {
            log.error("converge of spec rev {} failed: {}", revision, describe(e));
            publishState(describe(e));
            return ConvergeSchedule.Pass.FAILED;
        }
    }

    /**
     * etcd's care after the pass; whatever goes wrong in it is logged and tried again soon, and never keeps the pass
     * from reporting what it did (a member's restart, say).
     */
    private boolean etcdCareAfter(DesiredState desired) {
        try {
            return etcdCare.after(spec, desired.etcdRestartDue());
        } catch (RuntimeException e) {
            log.warn("etcd care: {}", describe(e), e);
            return true;
        }
    }

    /** The state after news that ran no pass: the spec followed and its error are new, the last pass is not. */
    private void publishState(String convergeError) {
        state = new AgentState(spec, revision(), state.appliedRevision(), state.roles(), hostRoles.roles(spec),
                state.lastRun(), warnings(), specError, convergeError, secrets, secretsInEffect(), state.etcd());
        publish.accept(state);
    }

    /** The roles' warnings from the last pass, and what the repairs have to say. */
    private List<String> warnings() {
        List<String> all = new ArrayList<>(roleWarnings);
        replicaRepair.note().ifPresent(all::add);
        if (failsafeMemory.isStale()) {
            all.add(FailsafeMemory.WARNING);
        }
        return all;
    }

    /**
     * The secrets generation in effect: on a data host, the one its last converged pass wrote into patroni.yml
     * (Patroni was reloaded with it), and on the leader also the one its roles' passwords were set to.
     */
    private long secretsInEffect() {
        if (!dataHost) {
            return 0;
        }
        Health.Patroni p = probed.patroni();
        boolean leader = p != null && p.isLeader();
        return leader ? Math.min(renderedSecrets, rolePasswords.doneFor()) : renderedSecrets;
    }

    /** On the leader: PostgreSQL's role passwords as the secrets say (the monitoring role made, rotations set). */
    private void keepRolePasswords() {
        Health.Patroni p = probed.patroni();
        if (secrets.isEmpty() || p == null || !p.isLeader() || !"running".equals(p.state())) {
            return;
        }
        try {
            rolePasswords.step(secrets.get(), secretsRevision, password -> new PostgresProbe(PatroniConfig.SUPERUSER,
                    password, 5, caFile).connect(address, ClusterSpec.POSTGRES_PORT));
        } catch (SQLException e) {
            log.warn("PostgreSQL role passwords not checked: {}", e.getMessage());
        }
    }

    /** On the leader, with a backup section: the mark that restore drills look for, every five minutes. */
    private void keepBackupMarker() {
        Health.Patroni p = probed.patroni();
        long now = System.nanoTime();
        if (spec.flatMap(ClusterSpec::backup).isEmpty() || secrets.isEmpty() || p == null || !p.isLeader()
                || !"running".equals(p.state()) || !backupMarker.due(now)) {
            return;
        }
        Optional<String> password = secrets.get().get("superuser");
        if (password.isEmpty()) {
            return;
        }
        try (java.sql.Connection c = new PostgresProbe(PatroniConfig.SUPERUSER, password.get(), 5, caFile)
                .connect(address, ClusterSpec.POSTGRES_PORT)) {
            backupMarker.write(c, now);
        } catch (SQLException e) {
            log.warn("backup marker not written: {}", e.getMessage());
        }
    }

    /** pg_settings of a member, as the monitoring role over TLS (the data hosts' pg_hba allows it between them). */
    private Map<String, PgSetting> readSettings(String address, Collection<String> names) throws SQLException {
        String password = secrets.flatMap(x -> x.get("monitor"))
                .orElseThrow(() -> new SQLException("no cluster secrets yet"));
        return new PostgresProbe(PatroniConfig.MONITOR_USER, password, 5, caFile).settings(address,
                ClusterSpec.POSTGRES_PORT, names);
    }

    private void closeWatches() {
        if (secretsWatch != null) {
            secretsWatch.close();
            secretsWatch = null;
        }
        if (requestWatch != null) {
            requestWatch.close();
            requestWatch = null;
        }
        // Changes while no watch runs are not told: read the key again once it is watched anew.
        requestUnread = true;
    }

    /**
     * The cluster restore this host's request key asks for, if any; kept as it was while etcd cannot say. A new
     * phase makes the leader's agent check the roles' passwords again: a restored cluster has them as they were then.
     */
    private void readRestore() {
        try {
            Optional<Versioned<HostRequest>> stored = dcs.request(hostName);
            outage.answered();
            requestUnread = false;
            requestRevision = stored.map(Versioned::modRevision).orElse(0L);
            Optional<ClusterRestore> asked = Optional.empty();
            if (stored.isPresent()) {
                asked = ClusterRestore.of(stored.get().value());
            }
            if (!asked.equals(restore)) {
                asked.ifPresent(r -> log.info("{}: phase {}", r.describe(), r.phase()));
                rolePasswords = new RolePasswords(new java.security.SecureRandom());
                restore = asked;
            }
        } catch (DcsException.Malformed | IllegalArgumentException e) {
            outage.answered();
            requestUnread = false;
            log.warn("request to this host ignored: {}", e.getMessage());
        } catch (DcsException e) {
            outage.failed(e);
        }
    }

    /**
     * The secrets as stored now, and a root-only copy for etcd outages; kept as they were when etcd cannot say.
     * Whether etcd answered.
     */
    private boolean readSecrets() {
        try {
            Optional<Versioned<ClusterSecrets>> stored = dcs.secrets();
            outage.answered();
            if (stored.isPresent() && stored.get().modRevision() != secretsRevision) {
                secrets = Optional.of(stored.get().value());
                secretsRevision = stored.get().modRevision();
                secretsCache.write(stored.get());
            }
            return true;
        } catch (DcsException.Malformed e) {
            outage.answered();
            log.warn("cluster secrets not read: {}", e.getMessage());
            return true;
        } catch (DcsException e) {
            outage.failed(e);
            return false;
        } catch (IOException e) {
            log.warn("cannot cache the cluster secrets: {}", e.getMessage());
            return true;
        }
    }

    private long revision() {
        return followed.map(Versioned::modRevision).orElse(0L);
    }

    private String revisionText() {
        return followed.map(v -> Long.toString(v.modRevision())).orElse("none");
    }

    /** An exception's message, or its type when it has none: an error is never reported blank. */
    static String describe(Throwable e) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getName() : message;
    }
}
