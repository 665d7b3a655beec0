package io.pgha.agent;

import io.pgha.backup.BackupWorker;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.EtcdAdmin;
import io.pgha.model.AgentConfig;
import io.pgha.model.ClusterSpec;
import io.pgha.model.ClusterSpecParser;
import io.pgha.model.Role;
import io.pgha.pooler.PoolerConsole;
import io.pgha.postgres.LeaderChangeLog;
import io.pgha.postgres.PatroniClient;
import io.pgha.probe.HostHealth;
import io.pgha.probe.LeaderLook;
import io.pgha.report.AgentMetrics;
import io.pgha.report.StatusPublisher;
import io.pgha.roles.HostContext;
import io.pgha.roles.HostRoles;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent of one host: wires its parts and runs until the JVM is asked to stop. The loop decides and converges on
 * the calling thread; the key followers, the prober and the status publisher each have a thread of their own and
 * only exchange immutable values with it. Stopping the agent never stops what it supervises.
 */
public final class Agent {
    private static final Logger log = LoggerFactory.getLogger(Agent.class);
    private static final Duration HEARTBEAT = Duration.ofSeconds(60);
    private static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(60);
    private static final long RESTART_LOCK_TTL_SECONDS = 30;
    /** Where the agent's own output goes when not to the journal: the lab's agents log to a file. */
    public static final String AGENT_LOG = "PGHA_AGENT_LOG";

    private final AgentConfig config;
    private final HostContext host;
    private final Dcs dcs;
    private final EtcdAdmin admin;
    private final String version;

    public Agent(AgentConfig config, HostContext host, Dcs dcs, EtcdAdmin admin, String version) {
        this.config = config;
        this.host = host;
        this.dcs = dcs;
        this.admin = admin;
        this.version = version;
    }

    /** This host's pooler, while the spec gives it one and the certificate its console password derives from is in. */
    private Optional<PoolerPauses.Target> poolerTarget(AgentState state) {
        if (state == null || !state.roles().contains(Role.LB)) {
            return Optional.empty();
        }
        Optional<ClusterSpec> spec = state.spec();
        Optional<ClusterSpec.Pooler> pooler = spec.flatMap(ClusterSpec::pooler);
        if (pooler.isEmpty()) {
            return Optional.empty();
        }
        String keyPem;
        try {
            keyPem = host.certificate().material().keyPem();
        } catch (IllegalStateException notYet) {
            return Optional.empty();
        }
        return Optional.of(new PoolerPauses.Target(new PoolerConsole(pooler.get().port(),
                PoolerConsole.adminPassword(keyPem), config.caCertificate()), spec.get().haproxy().statsPort(),
                host.paths().haproxySocket(),
                spec.get().hostsWith(Role.DATA).stream().map(ClusterSpec.Host::name).toList()));
    }

    public void run() throws java.io.IOException {
        EtcdOutage outage = new EtcdOutage();
        AgentMetrics metrics = new AgentMetrics();
        metrics.certificateExpiry(() -> {
            try {
                return Optional.of(host.certificate().material().notAfter());
            } catch (IllegalStateException notYet) {
                return Optional.empty();
            }
        });
        FsyncResults fsync = new FsyncResults();
        HostRoles hostRoles = new HostRoles(host);
        StatusPublisher publisher = new StatusPublisher(dcs, HEARTBEAT,
                outage::failed, () -> {
                    outage.answered();
                    outage.accepted();
                });
        Reporter reporter = new Reporter(host.identity(), version, host.supervisor(), fsync, outage, metrics,
                new SystemdNotifier(), publisher);
        EtcdCare etcdCare = new EtcdCare(host.identity().name(), host.identity().address(), config, host.paths(),
                dcs, admin, StateCache.etcdEndpoints(host.paths().stateDir()));
        // The REST password is read when a request goes out: a rotation reaches the steps with the next secrets.
        PatroniClient patroni = new PatroniClient(host.identity().address(), ClusterSpec.PATRONI_PORT,
                Duration.ofSeconds(5), host.certificate().sslContext(),
                () -> reporter.state().secrets().flatMap(x -> x.get("patroni_rest")).orElse(""));
        List<Step> upkeep = DataUpkeep.steps(host.identity().name(), host.identity().address(), patroni,
                dcs.restartLock(host.identity().name(), RESTART_LOCK_TTL_SECONDS), config.caCertificate(),
                new PoolerClientPause(dcs, () -> reporter.state().spec()), LeaderChangeLog.into(dcs, log::warn));
        HostPlanner planner = new HostPlanner(hostRoles, new DiskGate(hostRoles, host.paths(), fsync),
                () -> host.certificate().ensure(Instant.now()));
        AgentLoop loop = new AgentLoop(new AgentLoop.Parts(host.identity().name(), new ClusterSpecParser(config),
                planner, metrics, etcdCare, upkeep, dcs, outage, StateCache.spec(host.paths().stateDir()),
                StateCache.secrets(host.paths().stateDir()), Duration.ofSeconds(config.driftSeconds())),
                reporter::onState);
        loop.loadCaches();
        CertificateDesk desk = new CertificateDesk(host.certificate().signer(), dcs, () -> {
            AgentState s = reporter.state();
            return s == null ? Optional.empty() : s.spec();
        });
        ApiEndpoint api = new ApiEndpoint(config.apiListen().orElse(host.identity().address() + ":"
                + AgentConfig.DEFAULT_API_PORT), new AgentApi(reporter::latest, metrics,
                new HostLogs(host.paths(), Optional.ofNullable(System.getenv(AGENT_LOG)).map(Path::of)),
                desk),
                Optional.of(ApiServer.tls(host.certificate().files())), ApiEndpoint.RETRY);
        api.ensureBound();
        HostHealth hostHealth = new HostHealth(host.certificate().sslContext(), config.caCertificate());
        // A pause or resume is reported at once: pghactl switchover waits for the lb hosts' word.
        Semaphore probeNow = new Semaphore(0);
        PoolerPauses pauses = new PoolerPauses(dcs, outage, () -> poolerTarget(reporter.state()), hostHealth,
                probeNow::release);
        Prober prober = new Prober(config, host.identity(), host.paths(), hostHealth, reporter::state, fsync,
                probes -> {
                    api.ensureBound();
                    reporter.onProbes(probes);
                }, health -> loop.post(new Event.Probed(health)), etcdCare::memberUrls, outage::ongoing, pauses,
                probeNow);
        LeaderObserver observer = new LeaderObserver(host.identity().name(), dcs, outage, () -> {
            AgentState s = reporter.state();
            // Paused, nobody looks: an early end of the leader's claim is a failover, which a pause holds off.
            return s == null || s.holdsOff() ? Optional.empty()
                    : s.spec().map(spec -> new LeaderObserver.View(spec, s.roles()));
        }, new LeaderLook(LeaderObserver.LOOK_TIMEOUT, host.certificate().sslContext(),
                ClusterSpec.POSTGRES_PORT, ClusterSpec.PATRONI_PORT));
        WriteRouting routing = new WriteRouting(dcs, outage, () -> {
            AgentState s = reporter.state();
            return s == null || !s.roles().contains(Role.LB) ? Optional.empty() : s.spec();
        }, new LeaderLook(WriteRouting.LOOK_TIMEOUT, host.certificate().sslContext(), ClusterSpec.POSTGRES_PORT,
                ClusterSpec.PATRONI_PORT), host.paths().haproxySocket());
        BackupWorker backups = new BackupWorker(host.identity().name(), host.paths().stateDir(),
                hostRoles::backupTools, HostRoles.BACKUP_SERVER, host.supervisor(), dcs, () -> {
                    AgentState s = reporter.state();
                    return s == null ? BackupWorker.HostView.NONE : new BackupWorker.HostView(s.spec(), s.roles(),
                            s.holdsOff());
                }, reporter::onBackup);

        CountDownLatch finished = new CountDownLatch(1);
        // Waits for the current converge pass to end. Not a join on the main thread: after run() returns, main
        // calls System.exit, which waits for this very hook.
        Thread hook = new Thread(() -> {
            loop.post(new Event.Stop());
            try {
                if (!finished.await(SHUTDOWN_WAIT.toSeconds(), TimeUnit.SECONDS)) {
                    log.warn("the converge pass under way did not end within {} s; stopping anyway",
                            SHUTDOWN_WAIT.toSeconds());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            loop.run();
        } finally {
            backups.close();
            routing.close();
            observer.close();
            pauses.close();
            prober.close();
            api.close();
            desk.close();
            publisher.close();
            host.supervisor().close();
            log.info("agent stopped; supervised programs keep running");
            finished.countDown();
        }
    }
}
