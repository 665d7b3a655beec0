package io.pgha.roles;

import io.pgha.backup.BackupTools;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.ClusterSpec;
import io.pgha.model.ProgramVersion;
import io.pgha.model.Role;
import io.pgha.postgres.PatroniConfig;
import io.pgha.resources.ProcessResource;
import io.pgha.resources.Resource;
import io.pgha.supervise.ProcessState;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/** Turns the spec (or its absence) into the resources this host needs. */
public final class HostRoles {
    /** The warning of a host that has no spec yet and is no etcd member. */
    public static final String WAITING_FOR_SPEC = "waiting for the cluster spec (pghactl apply -f cluster.yml)";
    /** The repository host's pgBackRest server, as the supervisor names it. */
    public static final String BACKUP_SERVER = BackupRole.SERVER;
    private final HostContext ctx;
    private final Map<Role, RolePlanner> planners;

    public HostRoles(HostContext ctx) {
        this(ctx, PatroniConfig::document);
    }

    /** {@code patroniDocument} builds patroni.yml (a test counts the builds). */
    HostRoles(HostContext ctx, Function<PatroniConfig.Input, PatroniConfig.Document> patroniDocument) {
        this.ctx = ctx;
        this.planners = Map.of(Role.ETCD, new EtcdRole(ctx), Role.DATA, new DataRole(ctx, patroniDocument),
                Role.LB, new LbRole(ctx), Role.BACKUP, new BackupRole(ctx));
    }

    /**
     * The roles this host is for: with a spec, its entry there; without one, etcd if the host is an etcd member
     * (static bootstrap, like the guide), else none.
     */
    public Set<Role> roles(Optional<ClusterSpec> spec) {
        if (spec.isEmpty()) {
            return ctx.agent().memberAt(ctx.identity().address()).isPresent() ? EnumSet.of(Role.ETCD) : Set.of();
        }
        return spec.get().host(ctx.identity().name()).map(ClusterSpec.Host::roles).orElse(Set.of());
    }

    /** The plan from the spec and secrets alone (nothing refused, nothing known of etcd, no restore). */
    public DesiredState desired(Optional<ClusterSpec> spec, Optional<ClusterSecrets> secrets) throws IOException {
        return desired(PlanInput.of(spec, secrets));
    }

    /**
     * The resources of every role of this host, etcd's first (Patroni needs it), refused roles left out, each role
     * planned by its {@link RolePlanner}. Resources that two roles share (the config directory) appear once. A host
     * the spec does not name gets nothing and says so. A data host taking part in a cluster restore is planned for
     * its phase.
     */
    public DesiredState desired(PlanInput in) throws IOException {
        Optional<ClusterSpec> spec = in.spec();
        List<String> warnings = new ArrayList<>();
        Set<Role> roles = roles(spec);
        Optional<ClusterSpec.Host> me = spec.flatMap(s -> s.host(ctx.identity().name()));
        if (me.isPresent() && !me.get().address().equals(ctx.identity().address())) {
            throw new IOException("the spec gives host " + ctx.identity().name() + " address "
                    + me.get().address() + " but this host is " + ctx.identity().address());
        }
        if (spec.isEmpty() && roles.isEmpty()) {
            warnings.add(WAITING_FOR_SPEC);
        } else if (spec.isPresent() && me.isEmpty()) {
            warnings.add("host " + ctx.identity().name() + " is not in the cluster spec: nothing to converge");
        }
        Map<String, Resource> resources = new LinkedHashMap<>();
        if (spec.isPresent()) {
            leaving(spec.get(), roles, in.etcd(), warnings).forEach(r -> resources.put(r.id(), r));
        }
        Map<Role, String> refusedHere = new LinkedHashMap<>();
        boolean awaitsInstall = false;
        Set<Role> restartsDue = EnumSet.noneOf(Role.class);
        Optional<PatroniConfig.Document> patroni = Optional.empty();
        for (Role role : roles) {
            if (in.refused().containsKey(role)) {
                refusedHere.put(role, in.refused().get(role));
                continue;
            }
            RoleDefinition def = RoleDefinition.load(ctx.rolesDir(), role);
            Optional<ProgramVersion> installed = ctx.installed(def);
            if (installed.isEmpty()) {
                // The rest is rendered for the version the install brings: planned again once it is in.
                Resource packages = packagesOf(role, def, spec);
                resources.putIfAbsent(packages.id(), packages);
                warnings.add(role.id() + ": the rest of the role is planned once " + def.binary() + " is installed");
                awaitsInstall = true;
                continue;
            }
            try {
                def.checkVersion(installed.get()).ifPresent(warnings::add);
                Planned planned = planners.get(role).plan(new RoleInput(def, installed.get(), in, me));
                planned.resources().forEach(r -> resources.putIfAbsent(r.id(), r));
                warnings.addAll(planned.warnings());
                if (planned.restartDue()) {
                    restartsDue.add(role);
                }
                if (planned.patroni().isPresent()) {
                    patroni = planned.patroni();
                }
            } catch (RoleRefusedException e) {
                refusedHere.put(role, e.getMessage());
            }
        }
        return new DesiredState(roles, List.copyOf(resources.values()), warnings, refusedHere, awaitsInstall,
                restartsDue, patroni);
    }

    /** Every role but etcd's has a package of the spec's PostgreSQL major: the server, or psql on an lb host. */
    private Resource packagesOf(Role role, RoleDefinition def, Optional<ClusterSpec> spec) {
        return ctx.packages(def, role == Role.ETCD ? "" : Integer.toString(spec.orElseThrow().postgres().version()));
    }

    /**
     * The programs of roles the spec does not give this host, which must not run: stopped gracefully (Patroni stops
     * Postgres cleanly), their data kept. etcd keeps running until etcd no longer lists this host's member (the raft
     * leader's agent removes it once the spec's members are all voting): stopped earlier, it would take a vote away.
     */
    private List<Resource> leaving(ClusterSpec spec, Set<Role> roles, EtcdFacts etcd, List<String> warnings)
            throws IOException {
        List<Resource> absent = new ArrayList<>();
        for (Role role : Role.values()) {
            for (String program : programs(role)) {
                // Only what this host's agent once started (its pid file stays after a stop): nothing else to stop.
                if (roles.contains(role) || !Files.exists(ctx.supervisor().pidFile(program))) {
                    continue;
                }
                if (role == Role.ETCD && !etcd.knownNotMember(ctx.identity().address())) {
                    if (ctx.supervisor().runningPid(program).isPresent()) {
                        warnings.add("etcd keeps running until this member is removed from the etcd cluster (the"
                                + " spec gives this host no etcd role)");
                    }
                    continue;
                }
                String why = "the spec gives this host no " + role.id() + " role";
                absent.add(ProcessResource.absent(program, why, ctx.supervisor()));
                String kept = "";
                if (role == Role.DATA) {
                    java.nio.file.Path data = DataRole.layout(ctx, RoleDefinition.load(ctx.rolesDir(), Role.DATA),
                            spec).dataDir();
                    kept = Files.exists(data.resolve("PG_VERSION")) ? "; postgres data kept in " + data
                            + " (given the role back, it rejoins as a replica)" : "";
                }
                warnings.add(program + " stopped: " + why + kept);
            }
        }
        return absent;
    }

    private static List<String> programs(Role role) {
        return switch (role) {
            case ETCD -> List.of(EtcdRole.PROGRAM);
            case DATA -> List.of(DataRole.PROGRAM);
            case LB -> List.of(LbRole.PROGRAM, LbRole.KEEPALIVED, LbRole.POOLER);
            case BACKUP -> List.of(BackupRole.SERVER);
        };
    }

    /**
     * The tools for this host's pgBackRest jobs: the repository host's (backups, drills, restores), a spare host's
     * (restores onto it); empty on any other host, and without a backup section.
     */
    public Optional<BackupTools> backupTools(ClusterSpec spec) throws IOException {
        Optional<ClusterSpec.Host> me = spec.host(ctx.identity().name());
        if (me.isEmpty() || spec.backup().isEmpty()) {
            return Optional.empty();
        }
        RoleDefinition def = RoleDefinition.load(ctx.rolesDir(), Role.BACKUP);
        if (me.get().roles().contains(Role.BACKUP)) {
            return Optional.of(BackupRole.tools(ctx, def, spec, me.get()));
        }
        return me.get().roles().isEmpty() ? Optional.of(BackupRole.spareTools(ctx, def, spec, me.get()))
                : Optional.empty();
    }

    /**
     * Whether this host has taken the role already: its program runs under the agent, or its data is there (etcd's
     * member directory, an initialised PostgreSQL data directory). A role once taken is kept whatever its disk does.
     */
    public boolean taken(Role role, Optional<ClusterSpec> spec) throws IOException {
        String program = programs(role).get(0);
        boolean running = role != Role.LB && ctx.supervisor().states().stream()
                .anyMatch(p -> p.name().equals(program) && p.state().equals(ProcessState.RUNNING));
        return running || switch (role) {
            case ETCD -> Files.isDirectory(ctx.paths().dataDir(EtcdRole.PROGRAM).resolve("member"));
            case DATA -> spec.isPresent() && Files.exists(DataRole.layout(ctx,
                    RoleDefinition.load(ctx.rolesDir(), Role.DATA), spec.get()).dataDir().resolve("PG_VERSION"));
            case BACKUP -> Files.isDirectory(BackupRole.paths(ctx.paths()).repository().resolve("backup"));
            case LB -> false;
        };
    }
}
