package io.pgha.cli;

import io.pgha.converge.Converger;
import io.pgha.resource.PackageManager;
import io.pgha.role.DesiredState;
import io.pgha.role.HostContext;
import io.pgha.role.HostRoles;
import io.pgha.spec.AgentConfig;
import io.pgha.spec.ClusterSecrets;
import io.pgha.spec.ClusterSpec;
import io.pgha.spec.ClusterSpecParser;
import io.pgha.spec.HostIdentity;
import io.pgha.spec.HostPaths;
import io.pgha.spec.InvalidSpecException;
import io.pgha.spec.Role;
import io.pgha.store.EtcdStore;
import io.pgha.store.Keys;
import io.pgha.store.StoreException;
import io.pgha.store.Versioned;
import io.pgha.supervise.Supervisor;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "plan", description = "Show what this host's agent would change (checks only, like ansible --check --diff).")
final class PlanCommand implements Callable<Integer> {
    @CommandLine.ParentCommand
    CtlMain ctl;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws CtlMain.BadInputException, IOException {
        AgentConfig agent = ctl.agentConfig();
        PrintWriter out = CtlMain.out(spec);
        Optional<Versioned> stored;
        Optional<Versioned> storedSecrets;
        Keys keys = new Keys(agent.cluster());
        try (EtcdStore store = ctl.store(agent)) {
            stored = store.get(keys.spec());
            storedSecrets = store.get(keys.secrets());
        } catch (StoreException e) {
            Path stateDir = new HostPaths(agent.root()).stateDir();
            stored = StateCache.spec(stateDir).read();
            storedSecrets = StateCache.secrets(stateDir).read();
            CtlMain.err(spec).println("etcd unreachable (" + e.getMessage() + "); planning against "
                    + stored.map(c -> "the agent's cached spec rev " + c.modRevision()).orElse("no spec"));
        }
        Optional<ClusterSecrets> secrets = Optional.empty();
        if (storedSecrets.isPresent()) {
            secrets = Optional.of(ClusterSecrets.fromJson(storedSecrets.get().value()));
        }
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
        HostIdentity identity = HostIdentity.resolve(agent);
        HostPaths paths = new HostPaths(agent.root());
        PackageManager packages = PackageManager.detect()
                .orElseThrow(() -> new IOException("no apt-get, dnf or yum on this host"));
        try (Supervisor readOnly = new Supervisor(paths.runDir())) {
            DesiredState desired = new HostRoles(new HostContext(agent, identity, paths, packages,
                    Installation.rolesDir(agent), readOnly)).desired(cluster, secrets);
            Map<String, List<String>> plan = new Converger().plan(desired.resources());
            out.println("plan for host " + identity.name() + " (" + identity.address() + "), role "
                    + (desired.roles().isEmpty() ? "none" : Role.join(desired.roles())) + ", spec revision "
                    + stored.map(v -> Long.toString(v.modRevision())).orElse("none") + ":");
            desired.warnings().forEach(w -> out.println("  warning: " + w));
            plan.forEach((id, diff) -> {
                out.println("  ~ " + id);
                diff.forEach(line -> out.println("      " + line));
            });
            out.println(plan.size() + " of " + desired.resources().size() + " resources would change");
        }
        return CtlMain.OK;
    }
}
