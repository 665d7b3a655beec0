package io.pgha.agent;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.Versioned;
import io.pgha.engine.ConvergeRun;
import io.pgha.engine.Converger;
import io.pgha.model.DataPhase;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.RevokedHosts;
import io.pgha.model.ClusterSpecParser;
import io.pgha.model.InvalidSpecException;
import io.pgha.model.Role;
import io.pgha.report.AgentMetrics;
import io.pgha.resources.Status;
import io.pgha.roles.DesiredState;
import io.pgha.roles.EtcdFacts;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's one loop, in the manner of Patroni's HA loop: events (a key read by a follower, a probe, a stop) and the
 * converge timer only wake it. Each pass plans the host from the spec and secrets it follows, runs the engine, then
 * the steps in their fixed order: etcd's care first (whether or not the pass converged), then a data host's upkeep
 * ({@link DataUpkeep}: failsafe memory, replica repair, role passwords, backup marker, rolling restart). What the loop
 * knows is one {@link LoopState}, replaced whole; it hands what it reports on as one {@link AgentState}.
 */
final class AgentLoop {
    private static final Logger log = LoggerFactory.getLogger(AgentLoop.class);

    private final Parts parts;
    private final List<Step> steps;
    private final Converger converger = new Converger();
    private final Followers followers;
    private final ConvergeSchedule schedule;
    private final Consumer<AgentState> publish;
    private final BlockingQueue<Event> inbox = new LinkedBlockingQueue<>();
    // Confined to the loop thread.
    private LoopState state = LoopState.empty();

    /** What the loop is built from; {@code steps} run after {@code etcd}'s, in their order. */
    record Parts(String hostName, ClusterSpecParser parser, Planner planner, AgentMetrics metrics, EtcdKeeping etcd,
                 List<Step> steps, Dcs dcs, EtcdOutage outage, StateCache<String> specCache,
                 StateCache<ClusterSecrets> secretsCache, Duration drift) {
    }

    AgentLoop(Parts parts, Consumer<AgentState> publish) {
        this.parts = parts;
        List<Step> all = new ArrayList<>(List.of(parts.etcd()));
        all.addAll(parts.steps());
        this.steps = List.copyOf(all);
        this.followers = new Followers(parts.dcs(), parts.hostName(), parts.outage(), this::post);
        this.schedule = new ConvergeSchedule(parts.drift());
        this.publish = publish;
    }

    /** Hands news to the loop; safe from any thread, never blocks. */
    void post(Event event) {
        inbox.add(event);
    }

    /** The last good spec and secrets from the disk cache, so that an etcd outage at start changes nothing. */
    void loadCaches() {
        parts.secretsCache().read().ifPresent(cached -> state = state.withSecrets(cached));
        parts.specCache().read().ifPresent(cached -> {
            try {
                state = state.following(cached, parts.parser().parse(cached.value(),
                        "cached spec rev " + cached.modRevision()));
                log.info("using cached spec rev {} until etcd answers", cached.modRevision());
            } catch (InvalidSpecException e) {
                log.warn("ignoring the cached spec: {}", e.getMessage());
            }
        });
        report(AgentState.initial(state.spec(), state.revision(), parts.planner().roles(state.spec()),
                state.secretValues()));
    }

    /** Follows the keys and runs passes until a {@link Event.Stop}; a pass under way is finished first. */
    void run() {
        followers.followSpec();
        try {
            cycles();
        } finally {
            followers.close();
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
                boolean news = false;
                for (Event e : events) {
                    if (e instanceof Event.Stop) {
                        return;
                    }
                    news |= !(e instanceof Event.Probed);
                    if (handle(e)) {
                        nextPass = System.nanoTime();
                    }
                }
                if (schedule.etcdSeen(parts.outage().ongoing())) {
                    log.info("etcd answers again: the pass that failed meanwhile runs again now");
                    nextPass = System.nanoTime();
                }
                if (System.nanoTime() - nextPass >= 0) {
                    nextPass = System.nanoTime() + schedule.after(pass()).toNanos();
                } else if (news) {
                    reportNews(state.reported().convergeError());
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

    /** Takes in one event; true when it calls for a pass at once. */
    private boolean handle(Event event) {
        boolean dataKeys = parts.planner().roles(state.spec()).contains(Role.DATA);
        if (event instanceof Event.SpecRead read) {
            return read.spec().map(this::specSeen).orElseGet(this::specGone);
        }
        if (event instanceof Event.SecretsRead read) {
            return read.secrets().filter(v -> v.modRevision() != state.secretsRevision())
                    .map(v -> secretsSeen(v) && dataKeys).orElse(false);
        }
        if (event instanceof Event.RequestRead read) {
            return operationAsked(read) && dataKeys;
        }
        if (event instanceof Event.MaintenanceRead read) {
            Optional<io.pgha.model.Maintenance> now = read.maintenance().map(Versioned::value);
            boolean changed = !now.equals(state.maintenance());
            if (changed) {
                log.info("{}", now.map(m -> m.describe() + ": " + io.pgha.model.Maintenance.HELD + " wait for"
                        + " pghactl resume").orElse("resumed: the cluster runs normally again"));
            }
            boolean first = !state.maintenanceKnown();
            state = state.withMaintenance(now);
            return changed || first;
        }
        if (event instanceof Event.RevokedRead read) {
            RevokedHosts now = read.revoked().map(Versioned::value).orElse(RevokedHosts.NONE);
            if (now.equals(state.revoked())) {
                return false;
            }
            log.info("revoked hosts: {}", now.names().isEmpty() ? "none" : String.join(", ", now.names()));
            state = state.withRevoked(now);
            return dataKeys;
        }
        if (event instanceof Event.Probed probed) {
            state = state.withProbed(probed.health());
            // Every step hears the news (reduce, unlike anyMatch, asks them all): a step may keep what it saw.
            return steps.stream().map(step -> step.urgent(probed.health(), state.secretsRevision()))
                    .reduce(false, Boolean::logicalOr);
        }
        return false;
    }

    private boolean specSeen(Versioned<String> value) {
        if (value.modRevision() <= state.revision()) {
            return false;
        }
        try {
            state = state.following(value, parts.parser().parse(value.value(), "spec rev " + value.modRevision()));
            log.info("spec rev {} received", value.modRevision());
            parts.specCache().keep(value);
            return true;
        } catch (InvalidSpecException e) {
            state = state.withSpecError("spec rev " + value.modRevision() + " refused, still following rev "
                    + state.revisionText() + ": " + e.getMessage(), value.modRevision());
            log.error("{}", state.specError());
            return false;
        }
    }

    private boolean specGone() {
        if (state.followed().isPresent()) {
            state = state.withSpecError("the spec key was deleted; still following rev " + state.revisionText(), 0);
            log.warn("{}", state.specError());
        }
        return false;
    }

    /** New secrets, kept in a root-only copy for etcd outages. */
    private boolean secretsSeen(Versioned<ClusterSecrets> value) {
        state = state.withSecrets(value);
        parts.secretsCache().keep(value);
        return true;
    }

    /** The cluster restore or major upgrade this host's request key asks for, if any; whether it changed. */
    private boolean operationAsked(Event.RequestRead read) {
        Optional<DataPhase> asked;
        try {
            asked = read.request().flatMap(r -> DataPhase.of(r.value()));
        } catch (IllegalArgumentException e) {
            log.warn("request to this host ignored: {}", e.getMessage());
            return false;
        }
        if (asked.equals(state.operation())) {
            return false;
        }
        asked.ifPresent(r -> log.info("{}: phase {}", r.describe(), r.phase()));
        state = state.withOperation(asked);
        return true;
    }

    /** One converge pass with what the loop follows now, then the steps. */
    private ConvergeSchedule.Pass pass() throws InterruptedException {
        LoopState s = state;
        Set<Role> roles = parts.planner().roles(s.spec());
        followers.followDataKeys(roles.contains(Role.DATA));
        try {
            EtcdFacts facts = parts.etcd().before(s.spec(), roles);
            DesiredState desired = parts.planner().plan(s.spec(), s.secretValues(), facts, s.operation(), s.refusedAddresses());
            ConvergeRun run = converger.apply(desired.resources());
            if (desired.awaitsInstall() && run.converged()) {
                // The packages are in now: the rest of the roles, rendered for the versions installed.
                desired = parts.planner().plan(s.spec(), s.secretValues(), facts, s.operation(), s.refusedAddresses());
                run = converger.apply(desired.resources());
            }
            parts.metrics().recordConverge(run);
            String refusal = desired.refusal();
            if (run.count(Status.CHANGED) > 0 || !run.converged()) {
                log.info("converge of spec rev {}: {} changed, {} failed, {} ms", s.revision(),
                        run.count(Status.CHANGED), run.count(Status.FAILED), run.durationMillis());
            }
            if (!refusal.isEmpty()) {
                log.warn("{}", refusal);
            }
            boolean data = desired.has(Role.DATA);
            state = state.afterPass(data, desired.warnings(), run.converged() && data ? s.secretsRevision()
                    : state.renderedSecrets());
            String error = run.firstFailure().orElse(refusal);
            report(reportOf(s.revision(), desired.roles(), Optional.of(run), error));
            Pass pass = new Pass(s.spec(), s.secretValues(), s.secretsRevision(), desired, run, state.probed(),
                    s.operation(), s.maintenance(), s.maintenanceKnown());
            boolean busy = false;
            String failed = "";
            for (Step step : steps) {
                try {
                    busy |= step.run(pass);
                } catch (InterruptedException e) {
                    throw e;
                } catch (Exception e) {
                    log.warn("{} after spec rev {}: {}", step.name(), s.revision(), describe(e));
                    failed = failed.isEmpty() ? step.name() + ": " + describe(e) : failed;
                }
            }
            String said = steps.stream().map(Step::error).filter(m -> !m.isEmpty()).findFirst().orElse("");
            AgentState after = reportOf(s.revision(), desired.roles(), Optional.of(run),
                    !error.isEmpty() ? error : !failed.isEmpty() ? failed : said);
            if (!after.equals(state.reported())) {
                report(after);
            }
            if (!run.converged() || !refusal.isEmpty() || !failed.isEmpty()) {
                return ConvergeSchedule.Pass.FAILED;
            }
            return busy ? ConvergeSchedule.Pass.ROLLING_OUT : ConvergeSchedule.Pass.SETTLED;
        } catch (IOException | RuntimeException e) {
            log.error("converge of spec rev {} failed: {}", s.revision(), describe(e));
            reportNews(describe(e));
            return ConvergeSchedule.Pass.FAILED;
        }
    }

    /** The state after news that ran no pass: what the loop follows is new, the last pass is not. */
    private void reportNews(String convergeError) {
        AgentState last = state.reported();
        report(reportOf(last.appliedRevision(), last.roles(), last.lastRun(), convergeError));
    }

    private AgentState reportOf(long applied, Set<Role> roles, Optional<ConvergeRun> run, String error) {
        List<String> warnings = new ArrayList<>(state.roleWarnings());
        steps.forEach(step -> warnings.addAll(step.warnings()));
        return new AgentState(state.spec(), state.revision(), applied, roles, parts.planner().roles(state.spec()), run,
                warnings, state.specError(), state.refusedRevision(), error, state.secretValues(), secretsInEffect(),
                parts.etcd().report(), state.maintenance(), state.maintenanceKnown());
    }

    private void report(AgentState next) {
        state = state.withReported(next);
        publish.accept(next);
    }

    /**
     * The secrets generation in effect: on a data host, the one its last converged pass wrote into patroni.yml
     * (Patroni was reloaded with it), and no later than what the steps have put in effect (the leader's passwords).
     */
    private long secretsInEffect() {
        if (!state.dataHost()) {
            return 0;
        }
        long inEffect = state.renderedSecrets();
        for (Step step : steps) {
            inEffect = Math.min(inEffect, step.secretsInEffect(state.probed()).orElse(inEffect));
        }
        return inEffect;
    }

    /** An exception's message, or its type when it has none: an error is never reported blank. */
    static String describe(Throwable e) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getName() : message;
    }
}
