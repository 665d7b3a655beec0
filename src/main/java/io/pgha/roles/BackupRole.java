package io.pgha.roles;

import io.pgha.backup.BackupTools;
import io.pgha.backup.PgBackRest;
import io.pgha.backup.PgBackRestConfig;
import io.pgha.backup.RestoreTarget;
import io.pgha.backup.RestoredPostgres;
import io.pgha.model.ClusterSpec;
import io.pgha.model.HostPaths;
import io.pgha.model.Role;
import io.pgha.postgres.PatroniConfig;
import io.pgha.resources.DirectoryResource;
import io.pgha.resources.FileResource;
import io.pgha.resources.Owner;
import io.pgha.resources.ProcessResource;
import io.pgha.resources.Resource;
import io.pgha.supervise.ProcessSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The pgBackRest repository (role backup): its directory, a pgbackrest.conf that names every data host, the files
 * restores read, and pgBackRest's TLS server, through which the data hosts push their WAL. The agent's backup worker
 * runs the stanza, the backups, the drills and the restores with {@link #tools}.
 */
final class BackupRole implements RolePlanner {
    static final String PROGRAM = "pgbackrest";
    /** The supervised server's name: a data host runs a pgBackRest server of its own ("pgbackrest"). */
    static final String SERVER = "pgbackrest-repository";

    private final HostContext ctx;

    BackupRole(HostContext ctx) {
        this.ctx = ctx;
    }

    /** Where pgBackRest keeps things on any host that runs it (the repository only on the backup host). */
    static PgBackRestConfig.Paths paths(HostPaths host) {
        Path home = host.dataDir(PROGRAM);
        // Its log under its own home: the agent's log directory is root's alone.
        return new PgBackRestConfig.Paths(home.resolve("repository"), home.resolve("log"), home.resolve("spool"),
                home.resolve("lock"));
    }

    /**
     * The repository and its server. Each data host's Postgres is named as it runs there, in the options the
     * repository host sends with each backup (one layout on real hosts; in the lab each host has a root of its own).
     */
    @Override
    public Planned plan(RoleInput in) throws IOException {
        RoleDefinition def = in.def();
        ClusterSpec spec = in.spec();
        ClusterSpec.Host host = in.host();
        RoleDefinition dataDef = RoleDefinition.load(ctx.rolesDir(), Role.DATA);
        Map<String, PgBackRestConfig.Postgres> layouts = new LinkedHashMap<>();
        for (ClusterSpec.Host data : spec.hostsWith(Role.DATA)) {
            PatroniConfig.Layout l = DataRole.layout(ctx.agent().peerPaths(data.name()), ctx, dataDef, spec);
            layouts.put(data.name(), new PgBackRestConfig.Postgres(l.dataDir(), l.socketDir(),
                    ClusterSpec.POSTGRES_PORT));
        }
        Function<ClusterSpec.Host, PgBackRestConfig.Postgres> dataLayout = data -> layouts.get(data.name());
        String user = def.user();
        PgBackRestConfig.Paths paths = paths(ctx.paths());
        Path home = ctx.paths().dataDir(PROGRAM);
        Path config = ctx.paths().configDir().resolve("pgbackrest.conf");
        ProgramTls tls = ProgramTls.pgBackRest(ctx, user);
        FileResource configFile = FileResource.of(config, PgBackRestConfig.repository(spec, host,
                spec.backup().orElseThrow(), paths, new PgBackRestConfig.Tls(tls.ca(), tls.certificate(), tls.key()),
                dataLayout), new Owner("root", user, 0640));
        ProcessSpec server = server(ctx, SERVER, user, configFile, tls);
        List<Resource> out = new ArrayList<>(List.of(
                ctx.packages(def, Integer.toString(spec.postgres().version())),
                ctx.user(def, home),
                new DirectoryResource(ctx.paths().configDir(), new Owner("root", "root", 0755)),
                new DirectoryResource(ctx.paths().logDir(), new Owner("root", "root", 0750)),
                new DirectoryResource(home, new Owner(user, user, 0700)),
                new DirectoryResource(paths.log(), new Owner(user, user, 0750)),
                new DirectoryResource(paths.lock(), new Owner(user, user, 0750)),
                new DirectoryResource(paths.repository(), new Owner(user, user, 0750))));
        out.addAll(tls.resources());
        out.add(configFile);
        // Restores read the repository here, and refuse to run with a file that names remote data hosts.
        for (Path target : List.of(drillDir(ctx), restoreDir(ctx))) {
            out.add(FileResource.of(restoreConfig(ctx, target), PgBackRestConfig.restore(spec, paths,
                    target.resolve("data")), new Owner("root", user, 0640)));
        }
        out.add(ProcessResource.present(server, ctx.supervisor()));
        return Planned.of(out, List.of());
    }

    /**
     * pgBackRest's TLS server as {@code user}, with {@code config}. It reads its file and certificate at start only:
     * a change restarts it (nothing is lost: a push in flight is retried by Postgres' archiver).
     */
    static ProcessSpec server(HostContext ctx, String name, String user, FileResource config, ProgramTls tls) {
        Path home = ctx.paths().dataDir(PROGRAM);
        return new ProcessSpec(name, user, List.of(PatroniConfig.PGBACKREST, "--config=" + config.path(), "server"),
                Map.of("PATH", "/usr/bin:/bin", "HOME", home.toString(), "LC_ALL", "C.UTF-8"), home,
                ctx.paths().logDir().resolve("pgbackrest-server.log"), config.digest() + tls.digest(), "", "");
    }

    private static Path drillDir(HostContext ctx) {
        return ctx.paths().dataDir(PROGRAM).resolve("drill");
    }

    private static Path restoreDir(HostContext ctx) {
        return ctx.paths().dataDir(PROGRAM).resolve("restore");
    }

    private static Path restoreConfig(HostContext ctx, Path target) {
        return ctx.paths().configDir().resolve("pgbackrest-" + target.getFileName() + ".conf");
    }

    /** The repository host's jobs' tools, with the files {@link #resources} writes. */
    static BackupTools tools(HostContext ctx, RoleDefinition def, ClusterSpec spec, ClusterSpec.Host host)
            throws IOException {
        String user = def.user();
        Path binary = Path.of(def.binary());
        Path binDir = Path.of(def.binDirFor(ctx.family(), Integer.toString(spec.postgres().version())));
        return new BackupTools(
                Optional.of(new PgBackRest(user, binary, ctx.paths().configDir().resolve("pgbackrest.conf"),
                        spec.cluster())),
                Optional.of(new RestoreTarget(List.of(), new PgBackRest(user, binary,
                        restoreConfig(ctx, drillDir(ctx)), spec.cluster()),
                        new RestoredPostgres(user, binDir, drillDir(ctx), ClusterSpec.POSTGRES_PORT,
                                Optional.empty()))),
                new RestoreTarget(List.of(), new PgBackRest(user, binary, restoreConfig(ctx, restoreDir(ctx)),
                        spec.cluster()), inspected(ctx, user, binDir, spec, host)));
    }

    /**
     * A spare host's tools for a copy restored onto it: the role's packages, the pgBackRest certificate and a
     * configuration that reaches the repository over TLS, applied before the restore.
     */
    static BackupTools spareTools(HostContext ctx, RoleDefinition def, ClusterSpec spec, ClusterSpec.Host host)
            throws IOException {
        String user = def.user();
        Path binary = Path.of(def.binary());
        Path binDir = Path.of(def.binDirFor(ctx.family(), Integer.toString(spec.postgres().version())));
        ClusterSpec.Host repository = spec.hostsWith(io.pgha.model.Role.BACKUP).get(0);
        Path repositoryPath = paths(ctx.agent().peerPaths(repository.name())).repository();
        PgBackRestConfig.Paths paths = paths(ctx.paths());
        Path home = ctx.paths().dataDir(PROGRAM);
        ProgramTls tls = ProgramTls.pgBackRest(ctx, user);
        Path config = restoreConfig(ctx, restoreDir(ctx));
        List<Resource> setup = new ArrayList<>(List.of(
                ctx.packages(def, Integer.toString(spec.postgres().version())),
                ctx.user(def, home),
                new DirectoryResource(ctx.paths().configDir(), new Owner("root", "root", 0755)),
                new DirectoryResource(home, new Owner(user, user, 0700)),
                new DirectoryResource(paths.log(), new Owner(user, user, 0750)),
                new DirectoryResource(paths.lock(), new Owner(user, user, 0750))));
        setup.addAll(tls.resources());
        setup.add(FileResource.of(config, PgBackRestConfig.spareRestore(spec, repository, repositoryPath, paths,
                new PgBackRestConfig.Tls(tls.ca(), tls.certificate(), tls.key()), restoreDir(ctx).resolve("data")),
                new Owner("root", user, 0640)));
        return new BackupTools(Optional.empty(), Optional.empty(), new RestoreTarget(setup,
                new PgBackRest(user, binary, config, spec.cluster()), inspected(ctx, user, binDir, spec, host)));
    }

    /** A copy for inspection: on the host's address, over TLS with its pgBackRest certificate, the spec's rules. */
    private static RestoredPostgres inspected(HostContext ctx, String user, Path binDir, ClusterSpec spec,
                                              ClusterSpec.Host host) {
        ProgramTls tls = ProgramTls.pgBackRest(ctx, user);
        List<String> hba = spec.postgres().hba().stream().map(ClusterSpec.HbaRule::line).toList();
        return new RestoredPostgres(user, binDir, restoreDir(ctx), ClusterSpec.POSTGRES_PORT, Optional.of(
                new RestoredPostgres.Listen(host.address(), hba, tls.certificate(), tls.key())));
    }
}
