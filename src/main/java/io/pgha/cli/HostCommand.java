package io.pgha.cli;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.EtcdAccess;
import io.pgha.dcs.EtcdDcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.StoredSpec;
import io.pgha.dcs.Versioned;
import io.pgha.model.AgentConfig;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.ClusterSpec;
import io.pgha.model.InvalidSpecException;
import io.pgha.model.RevokedHosts;
import io.pgha.model.Values;
import io.pgha.runtime.Installation;
import io.pgha.tls.ClusterCa;
import io.pgha.tls.JoinToken;
import io.pgha.tls.TlsFiles;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "host", mixinStandardHelpOptions = true,
        description = "Let a host in (its one-time join secret) or shut it out.",
        subcommands = {HostCommand.Add.class, HostCommand.Revoke.class})
final class HostCommand implements Runnable {
    @CommandLine.ParentCommand
    CtlMain ctl;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "A one-time join secret for a data or lb host, signed with the cluster CA's key (run it"
                    + " beside pghactl init's files or on an etcd host): the host's agent, with the secret in"
                    + " /etc/pgha-agent/join.secret, gets its certificates from an etcd host's agent once the spec"
                    + " lists it at this address, and only from there. Printed once (or written to --secret-file);"
                    + " nothing is stored until it is used.")
    static final class Add implements Callable<Integer> {
        @CommandLine.ParentCommand
        HostCommand parent;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME", description = "the host's name, as in the spec")
        String name;

        @Option(names = "--address", required = true, paramLabel = "A", description = "the host's address, as in"
                + " the spec: the only one it may enroll with")
        String address;

        @Option(names = "--valid", paramLabel = "HOURS", defaultValue = "24",
                description = "hours until the secret expires (default: ${DEFAULT-VALUE})")
        int validHours;

        @Option(names = "--secret-file", paramLabel = "FILE", description = "write the secret to this new file"
                + " (mode 0600) instead of printing it")
        Path secretFile;

        @Override
        public Integer call() throws Exception {
            String problem = Values.checkName(name);
            if (problem != null) {
                throw new CtlMain.BadInputException("NAME: " + problem);
            }
            problem = Values.checkIpv4(address);
            if (problem != null) {
                throw new CtlMain.BadInputException("--address: " + problem);
            }
            if (validHours <= 0 || validHours > 24 * 30) {
                throw new CtlMain.BadInputException("--valid: expected hours from 1 to 720, found " + validHours);
            }
            if (secretFile != null && Files.exists(secretFile)) {
                throw new CtlMain.BadInputException("--secret-file: " + secretFile + " exists; expected a new file");
            }
            AgentConfig agent = parent.ctl.agentConfig();
            if (agent.members().containsKey(name) || agent.members().containsValue(address)) {
                throw new CtlMain.BadInputException(name + " at " + address + ": an etcd member of agent.yml, which"
                        + " holds the CA key and issues its own certificates; a join secret is for the other hosts");
            }
            if (!Files.exists(agent.caKey())) {
                throw new CtlMain.BadInputException("a join secret is signed with the cluster CA's key, and there is"
                        + " none at " + agent.caKey() + ": run this beside pghactl init's files (--config"
                        + " DIR/agent.yml) or on an etcd host");
            }
            ClusterCa ca = ClusterCa.load(TlsFiles.read(agent.caCertificate(), "the cluster CA certificate"),
                    TlsFiles.read(agent.caKey(), "the cluster CA key"), agent.caKey().toString(), new SecureRandom());
            PrintWriter err = CtlMain.err(spec);
            Optional<ClusterSpec.Host> listed = listed(agent, err);
            if (listed.isPresent() && !listed.get().address().equals(address)) {
                throw new CtlMain.BadInputException(name + ": the spec has it at " + listed.get().address()
                        + ", not " + address);
            }
            Instant now = Instant.now();
            String token = JoinToken.issue(ca, agent.cluster(), name, address, Duration.ofHours(validHours), now,
                    new SecureRandom());
            if (secretFile != null) {
                Files.writeString(Files.createFile(secretFile,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))),
                        token + "\n");
            } else {
                CtlMain.out(spec).println(token);
            }
            err.println("join secret for " + name + " at " + address + ", good for one enrollment until "
                    + now.plus(Duration.ofHours(validHours)) + ": on " + name + ", put it in /etc/pgha-agent/"
                    + AgentConfig.JOIN_SECRET + " (mode 0600) beside agent.yml and ca.crt"
                    + (secretFile == null ? "" : " (it is in " + secretFile + ")"));
            if (listed.isEmpty()) {
                err.println("note: " + name + " gets its certificates once the spec lists it at " + address);
            }
            return CtlMain.OK;
        }

        /** The host as the stored spec lists it; empty, with a note, when etcd does not answer. */
        private Optional<ClusterSpec.Host> listed(AgentConfig agent, PrintWriter err) {
            try (Dcs dcs = parent.ctl.dcs(agent)) {
                return StoredSpec.find(dcs, agent).flatMap(c -> c.host(name));
            } catch (DcsException | InvalidSpecException | java.io.IOException e) {
                err.println("note: the spec was not checked (" + e.getMessage() + ")");
                return Optional.empty();
            }
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Shut a data or lb host out for good: etcd refuses its certificates at once (its user goes),"
                    + " the etcd hosts sign no certificate for it again (a rebuilt host takes a new name), and apply"
                    + " gives it no etcd user even while the spec still lists it. Every data host's Patroni (its"
                    + " unsafe endpoints) and PostgreSQL refuse its address from the next converge, unless the spec"
                    + " gives that address to another host. Rotate the secrets a revoked data host held.")
    static final class Revoke implements Callable<Integer> {
        @CommandLine.ParentCommand
        HostCommand parent;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME", description = "the host's name")
        String name;

        @Override
        public Integer call() throws Exception {
            String problem = Values.checkName(name);
            if (problem != null) {
                throw new CtlMain.BadInputException("NAME: " + problem);
            }
            AgentConfig agent = parent.ctl.agentConfig();
            if (agent.members().containsKey(name)) {
                throw new CtlMain.BadInputException(name + ": an etcd member of agent.yml; it holds the CA key,"
                        + " which revoking cannot take back (replace the member and make a new CA instead)");
            }
            String address;
            try (EtcdDcs dcs = parent.ctl.dcs(agent)) {
                Optional<ClusterSpec> cluster = StoredSpec.find(dcs, agent);
                address = cluster.flatMap(c -> c.host(name)).map(ClusterSpec.Host::address).orElse("");
                dcs.revokeHost(name, new RevokedHosts.Revocation(address, "revoked by " + Installation.ctl() + " at "
                        + Instant.now()));
                dcs.admin().deleteUser(EtcdAccess.AGENT_PREFIX + name);
                dcs.admin().deleteRole(EtcdAccess.AGENT_PREFIX + name);
                Optional<ClusterSecrets> secrets = dcs.secrets().map(Versioned::value);
                if (cluster.isPresent() && secrets.isPresent()) {
                    // The data hosts read the revocations with the grants of this pghactl: an apply by an older one
                    // lacked it.
                    ApplyCommand.grantAccess(dcs, agent, cluster.get(), secrets.get());
                }
            }
            CtlMain.out(spec).println("revoked " + name + ": etcd refuses its certificates, and no etcd host signs"
                    + " one for it again" + (address.isEmpty() ? "" : "; every data host's Patroni (its unsafe"
                    + " endpoints) and PostgreSQL refuse " + address + " once their agents have converged"));
            return CtlMain.OK;
        }
    }
}
