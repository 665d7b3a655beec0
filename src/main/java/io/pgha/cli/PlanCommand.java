package io.pgha.cli;

import io.pgha.agent.HostPlanner;
import io.pgha.agent.StateCache;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.Versioned;
import io.pgha.engine.Converger;
import io.pgha.model.AgentConfig;
import io.pgha.model.DataPhase;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.ClusterSpec;
import io.pgha.model.ClusterSpecParser;
import io.pgha.model.HostIdentity;
import io.pgha.model.HostPaths;
import io.pgha.model.HostRequest;
import io.pgha.model.InvalidSpecException;
import io.pgha.model.RevokedHosts;
import io.pgha.model.Role;
import io.pgha.postgres.PatroniClient;
import io.pgha.postgres.RollingRestart;
import io.pgha.resources.InstalledVersions;
import io.pgha.resources.PackageSources;
import io.pgha.resources.Platform;
import io.pgha.resources.Result;
import io.pgha.roles.DesiredState;
import io.pgha.roles.EtcdFacts;
import io.pgha.roles.HostCertificate;
import io.pgha.roles.HostContext;
import io.pgha.roles.HostRoles;
import io.pgha.runtime.Installation;
import io.pgha.supervise.Supervisor;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

@Command(name = "plan", mixinStandardHelpOptions = true,
        description = "Show what a host's agent would change (checks only, like ansible --check --diff).")
final class PlanCommand implements Callable<Integer> {
    @CommandLine.ParentCommand
    CtlMain ctl;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--host", paramLabel = "HOST",
            description = "in a lab: the host to plan for (default: this host, as agent.yml names it)")
    String hostName;

    @Override
    public Integer call() throws CtlMain.BadInputException, IOException {
        AgentConfig agent = hostName == null ? ctl.agentConfig() : labHost(hostName);
        PrintWriter out = CtlMain.out(spec);
        HostIdentity identity = HostIdentity.resolve(agent);
        Optional<Versioned<String>> stored;
        Optional<Versioned<ClusterSecrets>> storedSecrets;
        Optional<DataPhase> operation = Optional.empty();
        RevokedHosts revoked = RevokedHosts.NONE;
        HostPaths paths = new HostPaths(agent.root());
        HostCertificate certificate = new HostCertificate(agent, identity, paths, new java.security.SecureRandom());
        certificate.loadExisting();
        // As admin where pghactl's certificate is, else as this host's agent: it reads what the agent reads.
        try (Dcs dcs = Files.exists(agent.adminCertificate()) ? ctl.dcs(agent) : ctl.dcs(agent, certificate.files())) {
            stored = dcs.spec();
            storedSecrets = secretsIfReadable(dcs);
            try {
                revoked = dcs.revoked().map(Versioned::value).orElse(RevokedHosts.NONE);
            } catch (DcsException.Refused e) {
                // An lb host's agent (it has nothing to refuse), or a grant that waits for the next apply.
                revoked = RevokedHosts.NONE;
            }
            // A data host taking part in a cluster restore or major upgrade converges to its phase, not the usual plan.
            try {
                Optional<Versioned<HostRequest>> request = dcs.request(identity.name());
                if (request.isPresent()) {
                    operation = DataPhase.of(request.get().value());
                }
            } catch (DcsException.Malformed | IllegalArgumentException e) {
                CtlMain.err(spec).println("the request key of " + identity.name() + " is ignored, as its agent"
                        + " ignores it: " + e.getMessage());
            }
        } catch (DcsException e) {
            Path stateDir = new HostPaths(agent.root()).stateDir();
            stored = StateCache.spec(stateDir).read();
            storedSecrets = StateCache.secrets(stateDir).read();
            CtlMain.err(spec).println("etcd unreachable (" + e.getMessage() + "); planning against "
                    + stored.map(c -> "the agent's cached spec rev " + c.modRevision()).orElse("no spec"));
        }
        Optional<ClusterSecrets> secrets = storedSecrets.map(Versioned::value);
        Optional<ClusterSpec> cluster = Optional.empty();
        if (stored.isPresent()) {
            try {
                cluster = Optional.of(new ClusterSpecParser(agent).parse(stored.get().value(),
                        "spec rev " + stored.get().modRevision()));
            } catch (InvalidSpecException e) {
                CtlMain.err(spec).println(e.describe());
                return CtlMain.FAILURE;
            }
        }
        PackageSources packages = new PackageSources(Platform.detect()
                .orElseThrow(() -> new IOException("no apt-get, dnf or yum on this host")));
        try (Supervisor readOnly = new Supervisor(paths.runDir())) {
            HostRoles hostRoles = new HostRoles(new HostContext(agent, identity, paths, packages, new InstalledVersions(),
                    Installation.rolesDir(agent), readOnly, certificate));
            DesiredState desired = HostPlanner.forPlan(hostRoles, paths).plan(cluster, secrets, EtcdFacts.UNKNOWN,
                    operation, cluster.map(revoked::refusedAddresses).orElse(java.util.Set.of()));
            List<Result> plan = new Converger().plan(desired.resources());
            out.println("plan for host " + identity.name() + " (" + identity.address() + "), role "
                    + (desired.roles().isEmpty() ? "none" : Role.join(desired.roles())) + ", spec revision "
                    + stored.map(v -> Long.toString(v.modRevision())).orElse("none") + ":");
            desired.warnings().forEach(w -> out.println("  warning: " + w));
            desired.refused().forEach((role, why) -> out.println("  ! refusing role " + role.id() + ": " + why));
            plan.forEach(r -> {
                out.println("  " + (r.status() == io.pgha.resources.Status.FAILED ? "! " : "~ ") + r.id());
                r.diff().forEach(line -> out.println("      " + line));
            });
            String restartNote = "";
            if (desired.has(Role.DATA)) {
                Optional<String> restart = RollingRestart.pending(new PatroniClient(identity.address(),
                        ClusterSpec.PATRONI_PORT, Duration.ofSeconds(3), certificate.sslContext(), ""));
                if (restart.isPresent()) {
                    out.println("  ~ restart:postgres");
                    out.println("      " + restart.get());
                    restartNote = "; a Postgres restart is pending";
                }
            }
            out.println(plan.size() + " of " + desired.resources().size() + " resources would change"
                    + (desired.refused().isEmpty() ? "" : "; " + desired.refused().size() + " role(s) refused")
                    + restartNote);
        }
        return CtlMain.OK;
    }

    /** The secrets, or none for an identity that may not read them (an lb host's agent, which needs none). */
    private static Optional<Versioned<ClusterSecrets>> secretsIfReadable(Dcs dcs) throws DcsException {
        try {
            return dcs.secrets();
        } catch (DcsException.Refused e) {
            return Optional.empty();
        }
    }

    private AgentConfig labHost(String name) throws CtlMain.BadInputException {
        Path yml = LabCommand.labAgentYml(name).orElseThrow(() -> new CtlMain.BadInputException("--host: expected"
                + " a host of the lab that is up, found '" + name + "' (" + Installation.ctl() + " status lists"
                + " them; outside a lab, run plan on that host)"));
        try {
            return AgentConfig.load(yml);
        } catch (InvalidSpecException e) {
            throw new CtlMain.BadInputException(e.describe());
        } catch (IOException e) {
            throw new CtlMain.BadInputException("cannot read " + yml + ": " + e.getMessage());
        }
    }
}
