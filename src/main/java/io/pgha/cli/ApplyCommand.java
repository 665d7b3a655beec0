package io.pgha.cli;

import io.pgha.backup.HostJob;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.EtcdAccess;
import io.pgha.dcs.EtcdDcs;
import io.pgha.dcs.HostStatuses;
import io.pgha.dcs.Versioned;
import io.pgha.model.AgentConfig;
import io.pgha.model.BackupReport;
import io.pgha.model.ClusterRestore;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.ClusterSpec;
import io.pgha.model.ClusterSpecParser;
import io.pgha.model.DataPhase;
import io.pgha.model.EtcdMembershipChange;
import io.pgha.model.HostRequest;
import io.pgha.model.HostStatus;
import io.pgha.model.InvalidSpecException;
import io.pgha.model.Maintenance;
import io.pgha.model.PostgresUpgrade;
import io.pgha.model.Role;
import io.pgha.model.SpecChange;
import io.pgha.model.SpecError;
import io.pgha.postgres.MajorUpgrade;
import io.pgha.postgres.PatroniClient;
import io.pgha.postgres.PatroniConfig;
import io.pgha.postgres.PostgresProbe;
import io.pgha.runtime.Installation;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "apply", mixinStandardHelpOptions = true,
        description = "Validate a cluster spec and store it in etcd (compare-and-swap); with --wait, until it is in"
                + " effect everywhere.")
final class ApplyCommand implements Callable<Integer> {
    private static final long POLL_MILLIS = 500;

    @CommandLine.ParentCommand
    CtlMain ctl;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "FILE", description = "cluster spec (YAML)")
    Path file;

    @Option(names = "--expect-revision", paramLabel = "REV",
            description = "apply only if the stored spec is still at this revision (0: only if there is none)")
    Long expectRevision;

    @Option(names = "--wait", description = "return only once every host has the spec in effect, as its agent"
            + " read it back from Postgres, Patroni, etcd and HAProxy (exit 1 with what is still pending at the timeout)")
    boolean await;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600",
            description = "how long --wait waits (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Override
    public Integer call() throws CtlMain.BadInputException, DcsException, IOException, InterruptedException {
        if (timeoutSeconds <= 0) {
            throw new CtlMain.BadInputException("--timeout: expected a number of seconds above 0, found "
                    + timeoutSeconds);
        }
        AgentConfig agent = ctl.agentConfig();
        ClusterSpec cluster = ValidateCommand.parse(new ClusterSpecParser(agent), file);
        cluster.warnings().forEach(w -> CtlMain.err(spec).println("warning: " + w));
        String text = Files.readString(file);
        try (EtcdDcs dcs = ctl.dcs(agent)) {
            // Before anything is written: a membership change the agents cannot carry out safely changes nothing.
            EtcdMembershipChange change = EtcdMembershipChange.between(dcs.admin().members(), cluster);
            if (!change.errors().isEmpty()) {
                throw new CtlMain.BadInputException(new InvalidSpecException(file.toString(), change.errors())
                        .describe());
            }
            if (!change.isEmpty()) {
                CtlMain.out(spec).println("etcd membership: " + change.describe() + " (the agents carry it out one"
                        + " step at a time: a new member joins as a learner and is promoted before one is removed)");
            }
            Optional<Versioned<String>> current = dcs.spec();
            List<SpecError> refused = current.flatMap(c -> storedSpec(new ClusterSpecParser(agent), c.value()))
                    .map(stored -> SpecChange.refused(stored, cluster)).orElse(List.of());
            if (!refused.isEmpty()) {
                throw new CtlMain.BadInputException(new InvalidSpecException(file.toString(), refused).describe());
            }
            ClusterSecrets secrets = ensureSecrets(dcs);
            // Users and roles before the spec: a host the spec adds can read it the moment it appears.
            grantAccess(dcs, agent, cluster, secrets);
            long readRevision = current.map(Versioned::modRevision).orElse(0L);
            if (expectRevision != null && expectRevision != readRevision) {
                CtlMain.err(spec).println("refused: the spec is at revision " + readRevision + ", expected "
                        + expectRevision + " (someone else applied a change; read it with " + Installation.ctl()
                        + " get spec)");
                return CtlMain.FAILURE;
            }
            Optional<String> underWay = operationUnderWay(dcs, current.flatMap(c -> storedSpec(
                    new ClusterSpecParser(agent), c.value())).orElse(cluster));
            if (underWay.isPresent()) {
                CtlMain.err(spec).println("refused: " + underWay.get() + "; nothing was written (the spec changes once"
                        + " it has finished)");
                return CtlMain.FAILURE;
            }
            if (current.isPresent() && current.get().value().equals(text)) {
                CtlMain.out(spec).println("unchanged: the stored spec is already this file (revision " + readRevision + ")");
                return await ? awaitApplied(dcs, cluster, readRevision) : CtlMain.OK;
            }
            Optional<ClusterSpec> stored = current.flatMap(c -> storedSpec(new ClusterSpecParser(agent), c.value()));
            if (stored.isPresent() && cluster.postgres().version() > stored.get().postgres().version()) {
                return upgrade(dcs, agent, stored.get(), cluster, text, readRevision, secrets);
            }
            long written;
            try {
                written = dcs.applySpec(text, readRevision);
            } catch (DcsException.RevisionConflict e) {
                CtlMain.err(spec).println("refused: the spec changed while this apply ran (it was at revision "
                        + readRevision + "); nothing was written, read it with " + Installation.ctl()
                        + " get spec and apply again");
                return CtlMain.FAILURE;
            }
            CtlMain.out(spec).println("applied " + file + " to cluster " + cluster.cluster() + ": revision "
                    + written + " (" + ValidateCommand.describe(cluster) + ")");
            Optional<Maintenance> paused = dcs.maintenance().map(Versioned::value);
            if (paused.isPresent()) {
                CtlMain.out(spec).println(paused.get().describe() + ": the agents converge files and reloads now; "
                        + Maintenance.HELD + " wait for " + Installation.ctl() + " resume (a parameter that needs a"
                        + " restart shows as pending until then" + (await ? ", and --wait waits for it" : "") + ")");
            }
            return await ? awaitApplied(dcs, cluster, written) : CtlMain.OK;
        }
    }

    /**
     * A major upgrade: the agents carry it out phase by phase, this command moves them on and prints each step; the
     * spec is written at the upgrade's point of no return.
     */
    private int upgrade(EtcdDcs dcs, AgentConfig agent, ClusterSpec stored, ClusterSpec next, String text,
                        long readRevision, ClusterSecrets secrets) throws IOException, InterruptedException,
            DcsException {
        PostgresUpgrade upgrade = new PostgresUpgrade(ClusterRestore.ID.format(java.time.Instant.now()),
                PostgresUpgrade.CHECK, stored.postgres().version(), next.postgres().version());
        PrintWriter out = CtlMain.out(spec);
        out.println("major upgrade " + upgrade.id() + ": PostgreSQL " + upgrade.from() + " -> " + upgrade.to()
                + " on " + String.join(", ", stored.hostsWith(Role.DATA).stream().map(ClusterSpec.Host::name)
                .toList()));
        javax.net.ssl.SSLContext tls = CtlMain.adminTls(agent).sslContext();
        String restPassword = secrets.get("patroni_rest").orElseThrow();
        HostJob jobs = new HostJob(dcs);
        Optional<String> repositoryHost = stored.hostsWith(Role.BACKUP).stream().map(ClusterSpec.Host::name)
                .findFirst();
        Duration timeout = Duration.ofSeconds(timeoutSeconds);
        // ANALYZE of a big table takes a while: a minute to connect, two per statement.
        PostgresProbe pg = new PostgresProbe(PatroniConfig.SUPERUSER, secrets.get("superuser").orElseThrow(), 60,
                agent.caCertificate());
        MajorUpgrade.AfterStart after = new MajorUpgrade.AfterStart() {
            @Override
            public void upgradeStanza() throws IOException, InterruptedException {
                if (repositoryHost.isPresent()) {
                    job(repositoryHost.get(), HostRequest.STANZA_UPGRADE, "");
                }
            }

            @Override
            public String fullBackup() throws IOException, InterruptedException {
                return repositoryHost.isPresent() ? job(repositoryHost.get(), HostRequest.BACKUP, "full") : "";
            }

            @Override
            public void analyzeInStages(String address) throws IOException {
                try {
                    pg.analyzeInStages(address, ClusterSpec.POSTGRES_PORT);
                } catch (java.sql.SQLException e) {
                    throw new IOException(e.getMessage(), e);
                }
            }

            private String job(String host, String kind, String type) throws IOException, InterruptedException {
                try {
                    BackupReport.Job done = jobs.await(host, jobs.ask(host, kind, type, ""), timeout);
                    if (!done.state().equals(BackupReport.Job.OK)) {
                        throw new IOException(kind + " on " + host + ": " + done.detail());
                    }
                    return done.detail();
                } catch (DcsException e) {
                    throw new IOException(kind + " on " + host + ": " + e.getMessage());
                }
            }
        };
        MajorUpgrade.Outcome done;
        try {
            done = new MajorUpgrade(dcs, dcs.admin(), stored, after, h -> new PatroniClient(h.address(),
                    ClusterSpec.PATRONI_PORT, Duration.ofSeconds(5), tls, restPassword), out, timeout)
                    .run(upgrade, text, readRevision);
        } catch (MajorUpgrade.RolledBack e) {
            CtlMain.err(spec).println("not upgraded: " + e.getMessage());
            return CtlMain.FAILURE;
        }
        out.printf(Locale.ROOT, "upgraded to PostgreSQL %d (spec revision %d) in %.1f s: writes stopped on %s for"
                        + " %.1f s (as its status saw it), no standby for %.1f s%s%n", upgrade.to(), done.revision(),
                done.seconds(), done.leader(), done.leaderBack() - done.leaderStopped(),
                done.replicasBack() - done.leaderStopped(), done.late().isEmpty() ? ""
                        : "; " + String.join(", ", done.late()) + " rejoin when their agents are back");
        out.println("the old data directories are kept (" + upgrade.from() + "/data on every data host); remove them"
                + " once the new major has proved itself");
        return await ? awaitApplied(dcs, next, done.revision()) : CtlMain.OK;
    }

    /** A cluster restore or major upgrade some data host takes part in now, described; empty when none runs. */
    static Optional<String> operationUnderWay(Dcs dcs, ClusterSpec cluster) throws DcsException {
        for (ClusterSpec.Host h : cluster.hostsWith(Role.DATA)) {
            Optional<Versioned<HostRequest>> request;
            try {
                request = dcs.request(h.name());
            } catch (DcsException.Malformed e) {
                continue;
            }
            Optional<DataPhase> active = request.flatMap(r -> {
                try {
                    return DataPhase.of(r.value());
                } catch (IllegalArgumentException e) {
                    return Optional.empty();
                }
            }).filter(DataPhase::active);
            if (active.isPresent()) {
                return Optional.of("the " + active.get().describe() + " is under way (" + h.name() + " is in phase "
                        + active.get().phase() + ")");
            }
        }
        return Optional.empty();
    }

    /** The stored spec, if this version can read it (one it cannot is replaced without the comparison). */
    private static Optional<ClusterSpec> storedSpec(ClusterSpecParser parser, String text) {
        try {
            return Optional.of(parser.parse(text, "the stored spec"));
        } catch (InvalidSpecException e) {
            return Optional.empty();
        }
    }

    /** The stored secrets, made (or completed with names a newer version added) first if need be. */
    private ClusterSecrets ensureSecrets(Dcs dcs) throws DcsException, IOException {
        Optional<Versioned<ClusterSecrets>> stored = dcs.secrets();
        ClusterSecrets secrets = stored.isPresent() ? stored.get().value() : ClusterSecrets.generate(new SecureRandom());
        if (stored.isEmpty() || secrets.lacksAny()) {
            secrets = secrets.withMissing(new SecureRandom());
            dcs.putSecrets(secrets, stored.map(Versioned::modRevision).orElse(0L));
            CtlMain.out(spec).println("generated the cluster's secrets (" + Installation.ctl()
                    + " get secret NAME shows them, as admin)");
        }
        return secrets;
    }

    /** etcd's users and roles brought in line with {@link #access}, Patroni's login with its password. */
    static void grantAccess(EtcdDcs dcs, AgentConfig agent, ClusterSpec cluster, ClusterSecrets secrets)
            throws DcsException {
        String patroni = secrets.patroniEtcdUser();
        dcs.admin().ensureAccess(access(agent, cluster, dcs.revokedHosts(), patroni),
                Map.of(patroni, secrets.get("patroni_etcd").orElseThrow()));
    }

    /**
     * etcd access for the spec's hosts and agent.yml's etcd members (which run agents before any spec), but none for
     * a host pghactl revoked.
     */
    static EtcdAccess access(AgentConfig agent, ClusterSpec cluster, java.util.Set<String> revoked,
                             String patroniUser) {
        Map<String, java.util.Set<Role>> hosts = new java.util.LinkedHashMap<>();
        agent.members().keySet().forEach(m -> hosts.put(m, java.util.Set.of()));
        cluster.hosts().values().forEach(h -> hosts.put(h.name(), h.roles()));
        revoked.forEach(hosts::remove);
        return EtcdAccess.of(cluster.cluster(), hosts, patroniUser);
    }

    /**
     * Polls the hosts' statuses until every host of the spec reports {@code revision} (or a later one) applied;
     * on the timeout prints, per host, what it still waits for.
     */
    private int awaitApplied(Dcs dcs, ClusterSpec cluster, long revision) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        Map<String, String> waiting;
        while (true) {
            try {
                waiting = notApplied(dcs.hostStatuses(), cluster, revision);
            } catch (DcsException e) {
                // A moment without etcd ends nothing: the deadline does.
                waiting = Map.of("(all)", "statuses not readable from etcd: " + e.getMessage());
            }
            if (waiting.isEmpty()) {
                CtlMain.out(spec).printf(Locale.ROOT, "revision %d in effect on all %d hosts after %.1f s%n", revision,
                        cluster.hosts().size(), (System.nanoTime() - start) / 1e9);
                return CtlMain.OK;
            }
            if (System.nanoTime() >= deadline) {
                break;
            }
            Thread.sleep(POLL_MILLIS);
        }
        PrintWriter err = CtlMain.err(spec);
        err.println("revision " + revision + " not in effect everywhere after " + timeoutSeconds + " s:");
        waiting.forEach((host, why) -> err.println("  " + host + ": " + why));
        return CtlMain.FAILURE;
    }

    /** Each host of the spec that has not got {@code revision} in effect, with why. */
    static Map<String, String> notApplied(HostStatuses stored, ClusterSpec cluster, long revision) {
        Map<String, String> waiting = new LinkedHashMap<>();
        for (String host : cluster.hosts().keySet()) {
            HostStatus s = stored.readable().get(host);
            if (s == null) {
                waiting.put(host, stored.unreadable().getOrDefault(host, "no status (agent down or not started)"));
                continue;
            }
            if (s.specRevision() < revision) {
                waiting.put(host, "at revision " + s.specRevision()
                        + (s.lastError().isEmpty() ? "" : " (" + s.lastError() + ")"));
            } else if (!s.applied()) {
                List<String> why = new ArrayList<>();
                if (!s.lastError().isEmpty()) {
                    why.add(s.lastError());
                }
                s.pending().forEach(p -> why.add(p.describe()));
                waiting.put(host, s.specState() + (why.isEmpty() ? "" : ": " + String.join("; ", why)));
            }
        }
        return waiting;
    }
}
