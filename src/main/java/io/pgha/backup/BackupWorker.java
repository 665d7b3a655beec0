package io.pgha.backup;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.model.BackupReport;
import io.pgha.model.ClusterRestore;
import io.pgha.model.ClusterSpec;
import io.pgha.model.HostRequest;
import io.pgha.model.Role;
import io.pgha.resources.FileResource;
import io.pgha.resources.Owner;
import io.pgha.resources.Result;
import io.pgha.resources.Status;
import io.pgha.supervise.ProcessState;
import io.pgha.supervise.Supervisor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The repository host's jobs, on a thread of their own (a backup takes minutes, a converge pass must not wait for it):
 * the stanza once the data hosts answer, a full backup at once when the repository has none, the spec's schedule,
 * restore drills, and the jobs pghactl asks for through the host's request key. One job at a time; each is reported
 * in the status before it starts and when it ends, and kept on disk, so that the status after an agent restart still
 * tells of the last backup and drill. etcd being away stops no scheduled job: only requests wait for it.
 */
public final class BackupWorker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BackupWorker.class);
    private static final long TICK_MILLIS = 5_000;
    /** pgBackRest info is a process: read once a minute, and after every job. */
    private static final long INFO_EVERY_NANOS = Duration.ofMinutes(1).toNanos();
    /**
     * A failed first backup is tried again after this, not at every tick: soon, as the usual cause is a cluster still
     * starting (from: replica fails with "unable to find standby cluster" until a replica runs).
     */
    private static final long RETRY_NANOS = Duration.ofSeconds(15).toNanos();
    private static final Duration RESTORE_RECOVERY = Duration.ofHours(6);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String host;
    private final Path savedFile;
    private final Tools tools;
    private final String repositoryServer;
    private final Supervisor supervisor;
    private final Dcs dcs;
    private final Supplier<HostView> state;
    private final Consumer<Optional<BackupReport>> report;
    private final Thread thread;
    private volatile boolean running = true;

    // Confined to the worker thread.
    private Saved saved;
    private String stanza = "";
    private boolean stanzaMade;
    private long stanzaTried;
    private long infoRead;
    private long firstBackupTried;
    private PgBackRest.Info info = new PgBackRest.Info(List.of(), "", "", "");

    /** What outlives an agent restart: when each schedule was last considered, the last request run, the jobs. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Saved(Map<String, Long> considered, String request, List<BackupReport.Job> jobs) {
        static final Saved NONE = new Saved(Map.of(), "", List.of());

        Saved {
            considered = Map.copyOf(Objects.requireNonNullElse(considered, Map.of()));
            request = Objects.requireNonNullElse(request, "");
            jobs = List.copyOf(Objects.requireNonNullElse(jobs, List.of()));
        }

        /** What an earlier agent saved in {@code file} (none: nothing); a job it was running died with it. */
        static Saved read(Path file) throws IOException {
            if (!Files.exists(file)) {
                return NONE;
            }
            Saved s = JSON.readValue(Files.readString(file), Saved.class);
            return new Saved(s.considered(), s.request(), s.jobs().stream().map(j -> j.done() ? j
                    : new BackupReport.Job(j.kind(), j.id(), j.type(), BackupReport.Job.FAILED, j.started(),
                            j.started(), "the agent stopped while it ran", null, null)).toList());
        }

        /** Kept for the next agent, root's alone, written atomically. */
        void write(Path file) throws IOException {
            Map<String, Object> tree = new LinkedHashMap<>();
            tree.put("considered", considered);
            tree.put("request", request);
            tree.put("jobs", jobs);
            Result result = FileResource.of(file, JSON.writeValueAsString(tree), new Owner("root", "root", 0600))
                    .apply();
            if (result.status() == Status.FAILED) {
                throw new IOException(result.message());
            }
        }
    }

    /** This host's pgBackRest tools for a spec: the repository host's, a spare host's, or none. */
    public interface Tools {
        Optional<BackupTools> of(ClusterSpec spec) throws IOException;
    }

    /**
     * What the worker needs of the agent's state: the spec it follows, the roles it converged, whether the cluster is
     * paused (no scheduled backup or drill starts then; pghactl's requests still run).
     */
    public record HostView(Optional<ClusterSpec> spec, Set<Role> roles, boolean paused) {
        public static final HostView NONE = new HostView(Optional.empty(), Set.of(), false);
    }

    /**
     * @param tools            the host's pgBackRest tools for the spec followed
     * @param repositoryServer the supervised repository server's name: jobs wait until it runs
     */
    public BackupWorker(String host, Path stateDir, Tools tools, String repositoryServer, Supervisor supervisor,
                        Dcs dcs, Supplier<HostView> state, Consumer<Optional<BackupReport>> report) {
        this.host = host;
        this.savedFile = stateDir.resolve("backup-jobs.json");
        this.tools = tools;
        this.repositoryServer = repositoryServer;
        this.supervisor = supervisor;
        this.dcs = dcs;
        this.state = state;
        this.report = report;
        this.thread = new Thread(this::run, "backup");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void run() {
        saved = load();
        while (running) {
            try {
                tick();
            } catch (IOException | RuntimeException e) {
                log.error("backup worker: {}", describe(e), e);
            }
            try {
                Thread.sleep(TICK_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void tick() throws IOException {
        HostView s = state.get();
        Optional<ClusterSpec> spec = s.spec();
        Optional<BackupTools> tools = spec.isEmpty() ? Optional.empty() : this.tools.of(spec.get());
        if (tools.isEmpty()) {
            report.accept(Optional.empty());
            return;
        }
        Optional<PgBackRest> repository = tools.get().repository();
        if (repository.isEmpty()) {
            // A spare host: restores onto it when asked, nothing else.
            Optional<HostRequest> request = request();
            if (request.isPresent()) {
                runRequest(tools.get(), request.get());
            } else if (!saved.jobs().isEmpty()) {
                publish();
            }
            return;
        }
        if (!s.roles().contains(Role.BACKUP)) {
            return;
        }
        if (!serverRunning()) {
            stanza = "waiting for the repository's pgBackRest server to run";
            publish();
            return;
        }
        long now = System.nanoTime();
        if (!stanzaMade) {
            if (stanzaTried != 0 && now - stanzaTried < Duration.ofSeconds(15).toNanos()) {
                return;
            }
            stanzaTried = now;
            try {
                repository.get().stanzaCreate();
                stanzaMade = true;
                stanza = BackupReport.OK;
                log.info("pgBackRest stanza {} ready", spec.get().cluster());
                readInfo(repository.get());
            } catch (IOException e) {
                // The data hosts' servers and a primary must answer first: expected while the cluster starts.
                stanza = "stanza not created yet: " + e.getMessage();
                publish();
                return;
            }
        }
        if (now - infoRead >= INFO_EVERY_NANOS) {
            readInfo(repository.get());
        }
        Optional<HostRequest> request = request();
        if (request.isPresent()) {
            runRequest(tools.get(), request.get());
            return;
        }
        if (s.paused()) {
            return;
        }
        if (info.backups().isEmpty() && runningNothing()
                && (firstBackupTried == 0 || now - firstBackupTried >= RETRY_NANOS)) {
            // Until there is a backup there is nothing to restore: the first one does not wait for the schedule.
            firstBackupTried = now;
            backupJob(repository.get(), "", BackupCalendar.FULL);
            return;
        }
        BackupCalendar.Decision due = BackupCalendar.decide(spec.get().backup().orElseThrow(), saved.considered(),
                ZonedDateTime.now(ZoneId.systemDefault()));
        if (!due.considered().equals(saved.considered())) {
            save(new Saved(due.considered(), saved.request(), saved.jobs()));
        }
        if (due.backup().isPresent()) {
            backupJob(repository.get(), "", due.backup().get());
        }
        if (due.drill()) {
            drillJob(tools.get(), "");
        }
    }

    private boolean runningNothing() {
        return saved.jobs().stream().allMatch(BackupReport.Job::done);
    }

    private boolean serverRunning() {
        return supervisor.states().stream().anyMatch(p -> p.name().equals(repositoryServer)
                && p.state().equals(ProcessState.RUNNING));
    }

    /** The newest request to this host, if it is one not run yet; empty while etcd is away. */
    private Optional<HostRequest> request() {
        try {
            Optional<io.pgha.dcs.Versioned<HostRequest>> value = dcs.request(host);
            if (value.isEmpty()) {
                return Optional.empty();
            }
            HostRequest r = value.get().value();
            return r.id().equals(saved.request()) ? Optional.empty() : Optional.of(r);
        } catch (DcsException.Malformed e) {
            log.warn("backup request ignored: {}", e.getMessage());
            return Optional.empty();
        } catch (DcsException e) {
            return Optional.empty();
        }
    }

    private void runRequest(BackupTools tools, HostRequest r) throws IOException {
        save(new Saved(saved.considered(), r.id(), saved.jobs()));
        Optional<PgBackRest> repository = tools.repository();
        switch (r.kind()) {
            case HostRequest.BACKUP -> {
                if (repository.isPresent()) {
                    backupJob(repository.get(), r.id(), r.type().isEmpty() ? BackupCalendar.FULL : r.type());
                } else {
                    refuse(r, "backups run on the repository host, not on " + host);
                }
            }
            case HostRequest.STANZA_UPGRADE -> {
                if (repository.isPresent()) {
                    job(HostRequest.STANZA_UPGRADE, r.id(), "", () -> {
                        repository.get().stanzaUpgrade();
                        return new Done("stanza upgraded", null, null);
                    });
                } else {
                    refuse(r, "the stanza is upgraded on the repository host, not on " + host);
                }
            }
            case HostRequest.DRILL -> drillJob(tools, r.id());
            case HostRequest.RESTORE -> restoreJob(tools.restore(), r);
            case HostRequest.REMOVE -> job(HostRequest.REMOVE, r.id(), "", () -> {
                tools.restore().copy().remove();
                return new Done("restored copy stopped and removed", null, null);
            });
            default -> refuse(r, "unknown kind of request '" + r.kind() + "'");
        }
    }

    private void refuse(HostRequest r, String why) throws IOException {
        job(r.kind(), r.id(), r.type(), () -> {
            throw new IOException(why);
        });
    }

    private void backupJob(PgBackRest repository, String id, String type) throws IOException {
        if (!BackupCalendar.isBackupType(type)) {
            job(HostRequest.BACKUP, id, type, () -> {
                throw new IOException("backup type: expected full, diff or incr, found '" + type + "'");
            });
            return;
        }
        job(HostRequest.BACKUP, id, type, () -> {
            repository.backup(type);
            readInfo(repository);
            return new Done(info.latest().map(b -> "backup " + b.label()).orElse("no backup listed after it"), null,
                    null);
        });
    }

    private void drillJob(BackupTools tools, String id) throws IOException {
        job(BackupCalendar.DRILL, id, "", () -> {
            RestoreTarget drill = tools.drill().orElseThrow(() ->
                    new IOException("drills run on the repository host, not on " + host));
            BackupReport.BackupSet latest = info.latest()
                    .orElseThrow(() -> new IOException("no backup in the repository to restore"));
            return new Done(Drill.run(drill.tool(), drill.copy(), latest), null, null);
        });
    }

    private void restoreJob(RestoreTarget target, HostRequest r) throws IOException {
        job(HostRequest.RESTORE, r.id(), r.time().isEmpty() ? "latest" : r.time(), () -> {
            for (io.pgha.resources.Resource setup : target.setup()) {
                io.pgha.resources.Result result = setup.apply();
                if (result.status() == io.pgha.resources.Status.FAILED) {
                    throw new IOException("cannot prepare the restore: " + result.id() + ": " + result.message());
                }
            }
            RestoredPostgres copy = target.copy();
            copy.prepare();
            target.tool().restore(ClusterRestore.targetOptions(r.time()));
            long pid = copy.start(RESTORE_RECOVERY);
            String address = copy.listen().orElseThrow().address();
            return new Done("restored " + (r.time().isEmpty() ? "to the end of the archive" : "to " + r.time())
                    + "; running as pid " + pid + " on " + address + ":" + copy.port(), address, copy.port());
        });
    }

    /** What a job did, and where a restored copy runs. */
    private record Done(String detail, String address, Integer port) {
    }

    @FunctionalInterface
    private interface Body {
        Done run() throws IOException;
    }

    private void job(String kind, String id, String type, Body body) throws IOException {
        long started = System.currentTimeMillis();
        record(new BackupReport.Job(kind, id, type, BackupReport.Job.RUNNING, started, 0, "", null, null));
        log.info("{} {} started{}", kind, type, id.isEmpty() ? "" : " (request " + id + ")");
        BackupReport.Job done;
        try {
            Done d = body.run();
            done = new BackupReport.Job(kind, id, type, BackupReport.Job.OK, started, System.currentTimeMillis(),
                    d.detail(), d.address(), d.port());
            log.info("{} {} done in {} s: {}", kind, type, done.seconds(0), d.detail());
        } catch (IOException | RuntimeException e) {
            done = new BackupReport.Job(kind, id, type, BackupReport.Job.FAILED, started, System.currentTimeMillis(),
                    describe(e), null, null);
            log.warn("{} {} failed after {} s: {}", kind, type, done.seconds(0), done.detail());
        }
        record(done);
    }

    /** The job replaces the last of its kind, on disk and in the status. */
    private void record(BackupReport.Job job) throws IOException {
        List<BackupReport.Job> jobs = new ArrayList<>(saved.jobs().stream()
                .filter(j -> !j.kind().equals(job.kind())).toList());
        jobs.add(job);
        save(new Saved(saved.considered(), saved.request(), jobs));
        publish();
    }

    private void readInfo(PgBackRest repository) {
        infoRead = System.nanoTime();
        try {
            info = repository.info();
        } catch (IOException e) {
            log.warn("pgbackrest info: {}", e.getMessage());
        }
        publish();
    }

    private void publish() {
        report.accept(Optional.of(new BackupReport(stanza, info.backups(), info.walMin(), info.walMax(),
                saved.jobs())));
    }

    private Saved load() {
        try {
            return Saved.read(savedFile);
        } catch (IOException e) {
            log.warn("{} unreadable, starting afresh: {}", savedFile, e.getMessage());
            return Saved.NONE;
        }
    }

    private void save(Saved next) throws IOException {
        saved = next;
        next.write(savedFile);
    }

    private static String describe(Exception e) {
        return e.getMessage() == null || e.getMessage().isBlank() ? e.getClass().getName() : e.getMessage();
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
