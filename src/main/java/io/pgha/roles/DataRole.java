package io.pgha.roles;

import io.pgha.backup.PgBackRestConfig;
import io.pgha.model.ClusterRestore;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.ClusterSpec;
import io.pgha.model.DataPhase;
import io.pgha.model.HostPaths;
import io.pgha.model.PatroniTimers;
import io.pgha.model.PostgresParameters;
import io.pgha.model.PostgresUpgrade;
import io.pgha.model.ProgramVersion;
import io.pgha.model.Role;
import io.pgha.postgres.DataDirectoryAside;
import io.pgha.postgres.PatroniClient;
import io.pgha.postgres.PatroniConfig;
import io.pgha.postgres.PatroniConfigResource;
import io.pgha.postgres.PgUpgrade;
import io.pgha.postgres.PgUpgradeRollback;
import io.pgha.postgres.PgUpgradeRun;
import io.pgha.postgres.UpgradePreflight;
import io.pgha.resources.DirectoryResource;
import io.pgha.resources.FileResource;
import io.pgha.resources.Owner;
import io.pgha.resources.ProcessResource;
import io.pgha.resources.Resource;
import io.pgha.supervise.Command;
import io.pgha.supervise.ProcessSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/** PostgreSQL under Patroni, as the guide's "Configure and Run Patroni" does it by hand. */
final class DataRole implements RolePlanner {
    static final String PROGRAM = "patroni";
    private final HostContext ctx;
    private final Function<PatroniConfig.Input, PatroniConfig.Document> patroniDocument;
    /** The installed binary's parameters by release ("18.7"), read once. */
    private final Map<String, PostgresParameters> ownParameters = new java.util.concurrent.ConcurrentHashMap<>();
    /** The pre-flight of the major upgrade under way, by its id: run once, its verdict reported on every pass. */
    private final Map<String, UpgradePreflight> preflights = new java.util.concurrent.ConcurrentHashMap<>();

    /** {@code patroniDocument} builds patroni.yml: once a pass, shared by everything that depends on it. */
    DataRole(HostContext ctx, Function<PatroniConfig.Input, PatroniConfig.Document> patroniDocument) {
        this.ctx = ctx;
        this.patroniDocument = patroniDocument;
    }

    private static String secret(ClusterSecrets secrets, String name) throws IOException {
        return secrets.get(name).orElseThrow(() -> new IOException("the cluster secrets lack '" + name + "'"));
    }

    static PatroniConfig.Layout layout(HostContext ctx, RoleDefinition def, ClusterSpec spec) throws IOException {
        return layout(ctx.paths(), ctx, def, spec);
    }

    /** A data host's layout under {@code paths}: this host's, or another's as this host names it. */
    static PatroniConfig.Layout layout(HostPaths paths, HostContext ctx, RoleDefinition def, ClusterSpec spec)
            throws IOException {
        return layout(paths, ctx, def, spec.postgres().version());
    }

    /** A data host's layout for PostgreSQL {@code major}: each major has a data directory of its own. */
    static PatroniConfig.Layout layout(HostPaths paths, HostContext ctx, RoleDefinition def, int major)
            throws IOException {
        String version = Integer.toString(major);
        Path home = paths.dataDir("postgresql");
        return new PatroniConfig.Layout(home.resolve(version).resolve("data"),
                paths.runDir().resolve("postgresql"), home.resolve("pgpass"),
                def.binDirFor(ctx.family(), version), paths.configDir().resolve("pgbackrest.conf"));
    }

    /**
     * With a backup section: this host's pgbackrest.conf (the repository over TLS, asynchronous archive-push) and
     * pgBackRest's TLS server, which the repository host backs up through. Named "pgbackrest" in the supervisor; the
     * repository host's server is another.
     */
    private static List<Resource> pgBackRest(HostContext ctx, String user, ClusterSpec spec, ClusterSpec.Host host,
                                             PatroniConfig.Layout layout) {
        ClusterSpec.Host repository = spec.hostsWith(Role.BACKUP).get(0);
        PgBackRestConfig.Paths paths = BackupRole.paths(ctx.paths());
        // The repository's path goes to the repository host with each push: named as that host lays it out.
        Path repositoryPath = BackupRole.paths(ctx.agent().peerPaths(repository.name())).repository();
        Path home = ctx.paths().dataDir(BackupRole.PROGRAM);
        ProgramTls tls = ProgramTls.pgBackRest(ctx, user);
        FileResource conf = FileResource.of(layout.pgBackRestConfig(), PgBackRestConfig.data(spec, host, repository,
                repositoryPath, paths, new PgBackRestConfig.Tls(tls.ca(), tls.certificate(), tls.key()),
                new PgBackRestConfig.Postgres(layout.dataDir(), layout.socketDir(), ClusterSpec.POSTGRES_PORT)),
                new Owner("root", user, 0640));
        ProcessSpec server = BackupRole.server(ctx, BackupRole.PROGRAM, user, conf, tls);
        List<Resource> out = new java.util.ArrayList<>(List.of(
                new DirectoryResource(home, new Owner(user, user, 0700)),
                new DirectoryResource(paths.log(), new Owner(user, user, 0750)),
                new DirectoryResource(paths.lock(), new Owner(user, user, 0750)),
                new DirectoryResource(paths.spool(), new Owner(user, user, 0750))));
        out.addAll(tls.resources());
        out.add(conf);
        out.add(ProcessResource.present(server, ctx.supervisor()));
        return out;
    }

    /**
     * The spec's parameters checked against the installed PostgreSQL when it is not the version pghactl checked them
     * against (no table for its major, or another minor release): with its own {@code postgres --describe-config},
     * kept per version. Empty when they pass, or PostgreSQL is not installed yet.
     */
    private Optional<String> parameterProblems(ClusterSpec spec, Path postgres) throws IOException {
        Optional<ProgramVersion> installed = ctx.versions().of(postgres);
        if (installed.isEmpty() || spec.postgres().parameters().isEmpty()) {
            return Optional.empty();
        }
        String release = installed.get().major() + "." + installed.get().minor();
        if (PostgresParameters.forMajor(spec.postgres().version()).filter(t -> t.version().equals(release))
                .isPresent()) {
            return Optional.empty();
        }
        PostgresParameters own = ownParameters.get(release);
        if (own == null) {
            own = PostgresParameters.fromDescribeConfig(release, Command.check(List.of(postgres.toString(),
                    "--describe-config"), Duration.ofSeconds(20)).output());
            ownParameters.put(release, own);
        }
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, String> p : spec.postgres().parameters().entrySet()) {
            own.problem(p.getKey(), p.getValue()).ifPresent(why -> problems.add("postgres.parameters." + p.getKey()
                    + ": " + why + " (checked against this host's " + postgres + ")"));
        }
        return problems.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", problems));
    }

    /**
     * Refuses timers the installed Patroni would silently run differently (3.2 and later raise and shrink them):
     * the status would otherwise show values that are not what runs; a Patroni that cannot work with the etcd the
     * cluster runs ({@link EtcdHardening}); quorum commit on a Patroni without it. Without the secrets there is
     * nothing to plan yet.
     */
    @Override
    public Planned plan(RoleInput in) throws IOException, RoleRefusedException {
        if (in.pass().secrets().isEmpty()) {
            return Planned.of(List.of(), List.of("waiting for the cluster secrets (written by the first pghactl apply)"));
        }
        RoleDefinition def = in.def();
        ClusterSpec spec = in.spec();
        ClusterSpec.Host host = in.host();
        ClusterSecrets secrets = in.pass().secrets().get();
        Optional<DataPhase> operation = in.pass().operation();
        Optional<ClusterRestore> restore = operation.filter(ClusterRestore.class::isInstance)
                .map(ClusterRestore.class::cast);
        Optional<PostgresUpgrade> upgrade = operation.filter(PostgresUpgrade.class::isInstance)
                .map(PostgresUpgrade.class::cast).filter(PostgresUpgrade::active);
        List<String> warnings = new ArrayList<>();
        List<String> changed = PatroniTimers.of(spec.patroni()).changesOn(in.installed());
        if (!changed.isEmpty()) {
            throw new RoleRefusedException(String.join("; ", changed));
        }
        Optional<String> etcdProblem = in.pass().etcd().version().flatMap(etcd -> EtcdHardening.problem(in.installed(),
                etcd));
        if (etcdProblem.isPresent()) {
            throw new RoleRefusedException(etcdProblem.get());
        }
        if (spec.patroni().quorum() && !in.installed().atLeast(4, 0)) {
            throw new RoleRefusedException("patroni.synchronous_mode: quorum needs Patroni 4.0 or later, this host has"
                    + " Patroni " + in.installed() + " (use synchronous_mode: true, or install Patroni 4.0+)");
        }
        String user = def.user();
        String version = Integer.toString(spec.postgres().version());
        PatroniConfig.Layout layout = layout(ctx, def, spec);
        Optional<String> parameterProblems = parameterProblems(spec, Path.of(layout.binDir(), "postgres"));
        if (parameterProblems.isPresent()) {
            throw new RoleRefusedException(parameterProblems.get());
        }
        Path home = ctx.paths().dataDir("postgresql");
        Path config = ctx.paths().configDir().resolve("patroni.yml");
        ProgramTls tls = ProgramTls.of(ctx, "postgres", user);
        // Patroni re-reads patroni.yml on SIGHUP; changes of the dynamic part go through PATCH /config instead.
        PatroniConfig.Tls patroniTls = new PatroniConfig.Tls(tls.ca(), tls.certificate(), tls.key());
        PatroniConfig.Document document = patroniDocument.apply(new PatroniConfig.Input(ctx.agent(), spec, host,
                secrets, layout, patroniTls, operation, in.pass().refusedAddresses()));
        FileResource configFile = FileResource.of(config, document.text(), new Owner(user, user, 0600)).asSensitive();
        // A renewed certificate is a reload: Patroni's REST API takes the new one (it compares serial numbers) and
        // Postgres re-reads its ssl files on the reload Patroni passes on.
        ProcessSpec patroni = new ProcessSpec(PROGRAM, user, List.of(def.binary(), config.toString()),
                // A leaked PG* variable would override Patroni's passfile: the environment is exactly this.
                Map.of("PATH", "/usr/bin:/bin", "HOME", home.toString(), "LC_ALL", "C.UTF-8"),
                home, ctx.paths().logDir().resolve("patroni.log"), "patroni " + version,
                document.reloadDigest() + tls.digest(), "HUP");
        List<Resource> out = new ArrayList<>(List.of(
                ctx.packages(def, version),
                ctx.user(def, home),
                new DirectoryResource(ctx.paths().configDir(), new Owner("root", "root", 0755)),
                new DirectoryResource(ctx.paths().logDir(), new Owner("root", "root", 0750)),
                new DirectoryResource(home, new Owner(user, user, 0700)),
                new DirectoryResource(home.resolve(version), new Owner(user, user, 0700)),
                new DirectoryResource(layout.socketDir(), new Owner(user, user, 0755))));
        out.addAll(tls.resources());
        if (spec.backup().isPresent()) {
            // Before Patroni: its archive_command names the file.
            out.addAll(pgBackRest(ctx, user, spec, host, layout));
        }
        out.add(configFile);
        Optional<ClusterRestore> restoring = restore.filter(ClusterRestore::active);
        if (restoring.isPresent()) {
            warnings.add("taking part in the " + restoring.get().describe() + ": " + restoring.get().phase()
                    + " (pghactl restore --cluster)");
        }
        if (restoring.filter(r -> r.phase().equals(ClusterRestore.STOP)).isPresent()) {
            // Patroni stops Postgres before it exits; the data directory moves aside only after that, and an empty
            // one takes its place for the restore.
            out.add(ProcessResource.absent(PROGRAM, restoring.get().describe(), ctx.supervisor()));
            out.add(new DataDirectoryAside(layout.dataDir(), restoring.get()));
            out.add(new DirectoryResource(layout.dataDir(), new Owner(user, user, 0700)));
            return new Planned(out, warnings, false, Optional.of(document));
        }
        // The new major's packages and the pre-flight come last: their failure skips nothing the host runs.
        List<Resource> preflight = new ArrayList<>();
        if (upgrade.isPresent()) {
            PostgresUpgrade u = upgrade.get();
            warnings.add("taking part in the " + u.describe() + ": " + u.phase() + " (pghactl apply)");
            PgUpgrade tool = new PgUpgrade(u, user, home, layout(ctx.paths(), ctx, def, u.from()),
                    layout(ctx.paths(), ctx, def, u.to()));
            if (u.stopped()) {
                out.add(ProcessResource.absent(PROGRAM, u.describe(), ctx.supervisor()));
                if (u.phase().equals(PostgresUpgrade.UPGRADE)) {
                    out.add(new PgUpgradeRun(tool));
                } else if (u.phase().equals(PostgresUpgrade.ROLLBACK)) {
                    out.add(new PgUpgradeRollback(tool));
                }
                return new Planned(out, warnings, false, Optional.of(document));
            }
            if (u.phase().equals(PostgresUpgrade.CHECK)) {
                preflights.keySet().retainAll(java.util.Set.of(u.id()));
                preflight.add(ctx.packages(def, Integer.toString(u.to())));
                preflight.add(preflights.computeIfAbsent(u.id(), id -> new UpgradePreflight(tool)));
            }
        }
        out.add(ProcessResource.present(patroni, ctx.supervisor()));
        String restPassword = secret(secrets, "patroni_rest");
        javax.net.ssl.SSLContext restTls = ctx.certificate().sslContext();
        // A short deadline for the peers: waking them only saves waiting for their next loop.
        java.util.function.Supplier<List<PatroniClient>> peers = () -> spec.hostsWith(Role.DATA).stream()
                .filter(other -> !other.equals(host))
                .map(other -> new PatroniClient(other.address(), ClusterSpec.PATRONI_PORT, Duration.ofSeconds(1),
                        restTls, restPassword)).toList();
        out.add(new PatroniConfigResource(new PatroniClient(host.address(), ClusterSpec.PATRONI_PORT,
                Duration.ofSeconds(5), restTls, restPassword), peers, document.dynamic()));
        out.addAll(preflight);
        return new Planned(out, warnings, false, Optional.of(document));
    }
}
