package io.pgha.cli;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.StoredSpec;
import io.pgha.dcs.Versioned;
import io.pgha.model.AgentConfig;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.ClusterSpec;
import io.pgha.model.HostStatus;
import io.pgha.model.Role;
import java.io.IOException;
import java.io.PrintWriter;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

@Command(name = "secret", mixinStandardHelpOptions = true,
        description = "Manage the cluster's generated passwords.", subcommands = SecretCommand.Rotate.class)
final class SecretCommand implements Runnable {
    @CommandLine.ParentCommand
    CtlMain ctl;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }

    @Command(name = "rotate", mixinStandardHelpOptions = true,
            description = "Give a password a new value everywhere, with no restart: a PostgreSQL role's password is"
                    + " first set on the leader, then every data host's Patroni takes it (patroni.yml, pgpass).")
    static final class Rotate implements Callable<Integer> {
        @CommandLine.ParentCommand
        SecretCommand parent;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME",
                description = "superuser, replication, rewind, monitor or patroni_rest")
        String name;

        @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "300",
                description = "how long to wait for each step (default: ${DEFAULT-VALUE})")
        int timeoutSeconds;

        @Override
        public Integer call() throws Exception {
            if (name.equals("patroni_etcd")) {
                CtlMain.err(spec).println("patroni_etcd cannot be rotated yet: Patroni would lose etcd, and with it"
                        + " its leader key, until its agent rewrote patroni.yml");
                return CtlMain.BAD_INPUT;
            }
            if (!ClusterSecrets.NAMES.contains(name)) {
                CtlMain.err(spec).println("expected a secret name, one of " + ClusterSecrets.NAMES + ", found '"
                        + name + "'");
                return CtlMain.BAD_INPUT;
            }
            CtlMain ctl = parent.ctl;
            AgentConfig agent = ctl.agentConfig();
            PrintWriter out = CtlMain.out(spec);
            long start = System.nanoTime();
            try (Dcs dcs = ctl.dcs(agent)) {
                ClusterSpec cluster = StoredSpec.read(dcs, agent);
                List<String> dataHosts = cluster.hostsWith(Role.DATA).stream().map(ClusterSpec.Host::name).toList();
                if (ClusterSecrets.ROLE_PASSWORDS.contains(name)) {
                    Versioned<ClusterSecrets> stored = dcs.secrets()
                            .orElseThrow(() -> new IOException("no secrets stored yet"));
                    long staged = dcs.putSecrets(stored.value().staging(name, new SecureRandom()),
                            stored.modRevision());
                    String leader = awaitHosts(dcs, "the leader sets the new password",
                            s -> s.health().patroni() != null && s.health().patroni().isLeader()
                                    && s.secretsRevision() >= staged, hosts -> !hosts.isEmpty()).iterator().next();
                    out.printf("%s's role password changed on the leader %s (%.1f s)%n", name, leader, seconds(start));
                }
                Versioned<ClusterSecrets> stored = dcs.secrets()
                        .orElseThrow(() -> new IOException("no secrets stored yet"));
                long rotated = dcs.putSecrets(stored.value().rotated(name, new SecureRandom()), stored.modRevision());
                awaitHosts(dcs, "every data host takes the new value", s -> s.secretsRevision() >= rotated,
                        hosts -> hosts.containsAll(dataHosts));
                out.printf("rotated %s: secrets generation %d in effect on %s (%.1f s)%n", name, rotated,
                        String.join(", ", dataHosts), seconds(start));
                return CtlMain.OK;
            } catch (DcsException.RevisionConflict e) {
                CtlMain.err(spec).println("refused: the secrets changed while this rotation ran; nothing more was"
                        + " written, run it again");
                return CtlMain.FAILURE;
            }
        }

        private static double seconds(long start) {
            return (System.nanoTime() - start) / 1e9;
        }

        /**
         * Polls the statuses until the hosts for which {@code done} holds are {@code enough}; those hosts. Fails after
         * the timeout with the generation each host reported last.
         */
        private Set<String> awaitHosts(Dcs dcs, String what, Predicate<HostStatus> done, Predicate<Set<String>> enough)
                throws IOException, InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
            String seen = "no statuses yet";
            while (System.nanoTime() < deadline) {
                try {
                    Set<String> matching = new LinkedHashSet<>();
                    Map<String, Long> generations = new LinkedHashMap<>();
                    for (HostStatus s : dcs.hostStatuses().readable().values()) {
                        generations.put(s.host(), s.secretsRevision());
                        if (done.test(s)) {
                            matching.add(s.host());
                        }
                    }
                    seen = "secrets generation per host " + generations;
                    if (enough.test(matching)) {
                        return matching;
                    }
                } catch (DcsException e) {
                    seen = e.getMessage();
                }
                Thread.sleep(250);
            }
            throw new IOException(what + ": not within " + timeoutSeconds + " s (" + seen + "); the rotation can"
                    + " be run again");
        }
    }
}
