package io.pgha.roles;

import io.pgha.backup.PgBackRestConfig;
import io.pgha.model.ClusterSpec;
import io.pgha.resources.DirectoryResource;
import io.pgha.resources.FileResource;
import io.pgha.resources.Owner;
import io.pgha.resources.ProcessResource;
import io.pgha.resources.Resource;
import io.pgha.supervise.ProcessSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The pgBackRest repository (role backup): its directory, a pgbackrest.conf that names every data host, and
 * pgBackRest's TLS server, through which the data hosts push their WAL. Backups, drills and the stanza are the
 * agent's next steps (issue 16).
 */
final class BackupRole {
    static final String PROGRAM = "pgbackrest";
    /** The supervised server's name: a data host runs a pgBackRest server of its own ("pgbackrest"). */
    static final String SERVER = "pgbackrest-repository";

    private BackupRole() {
    }

    /** Where pgBackRest keeps things on any host that runs it (the repository only on the backup host). */
    static PgBackRestConfig.Paths paths(HostContext ctx) {
        Path home = ctx.paths().dataDir(PROGRAM);
        return new PgBackRestConfig.Paths(home.resolve("repository"), ctx.paths().logDir().resolve(PROGRAM),
                home.resolve("spool"));
    }

    /**
     * {@code dataLayout}: each data host's Postgres as it runs there. One layout on real hosts; in the lab each host
     * has a root of its own, which this host cannot know yet (the next step: the data hosts' statuses say it).
     */
    static List<Resource> resources(HostContext ctx, RoleDefinition def, ClusterSpec spec, ClusterSpec.Host host,
                                    PgBackRestConfig.Postgres dataLayout) throws IOException {
        String user = def.user();
        PgBackRestConfig.Paths paths = paths(ctx);
        Path home = ctx.paths().dataDir(PROGRAM);
        Path config = ctx.paths().configDir().resolve("pgbackrest.conf");
        ProgramTls tls = ProgramTls.pgBackRest(ctx, user);
        FileResource configFile = FileResource.of(config, PgBackRestConfig.repository(spec, host,
                spec.backup().orElseThrow(), paths, new PgBackRestConfig.Tls(tls.ca(), tls.certificate(), tls.key()),
                data -> dataLayout), new Owner("root", user, 0640));
        // The server reads its file and certificate at start only: a change restarts it (nothing is lost: a push in
        // flight is retried by Postgres' archiver).
        ProcessSpec server = new ProcessSpec(SERVER, user, List.of(def.binary(), "--config=" + config, "server"),
                Map.of("PATH", "/usr/bin:/bin", "HOME", home.toString(), "LC_ALL", "C.UTF-8"), home,
                ctx.paths().logDir().resolve("pgbackrest-server.log"), configFile.digest() + tls.digest(), "", "");
        List<Resource> out = new ArrayList<>(List.of(
                ctx.packages(def, Integer.toString(spec.postgres().version())),
                ctx.user(def, home),
                new DirectoryResource(ctx.paths().configDir(), new Owner("root", "root", 0755)),
                new DirectoryResource(ctx.paths().logDir(), new Owner("root", "root", 0750)),
                new DirectoryResource(paths.log(), new Owner(user, user, 0750)),
                new DirectoryResource(home, new Owner(user, user, 0700)),
                new DirectoryResource(paths.repository(), new Owner(user, user, 0750))));
        out.addAll(tls.resources());
        out.add(configFile);
        out.add(ProcessResource.present(server, ctx.supervisor()));
        return out;
    }
}
