package io.pgha.cli;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.EtcdDcs;
import io.pgha.dcs.StoredSpec;
import io.pgha.dcs.Versioned;
import io.pgha.model.AgentConfig;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.ClusterSpec;
import io.pgha.model.HostStatus;
import io.pgha.model.Role;
import io.pgha.postgres.PatroniClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
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
                description = "superuser, replication, rewind, monitor, patroni_rest or patroni_etcd")
        String name;

        @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "300",
                description = "how long to wait for each step (default: ${DEFAULT-VALUE})")
        int timeoutSeconds;

        @Override
        public Integer call() throws Exception {
            if (!ClusterSecrets.NAMES.contains(name)) {
                CtlMain.err(spec).println("expected a secret name, one of " + ClusterSecrets.NAMES + ", found '"
                        + name + "'");
                return CtlMain.BAD_INPUT;
            }
            CtlMain ctl = parent.ctl;
            AgentConfig agent = ctl.agentConfig();
            PrintWriter out = CtlMain.out(spec);
            long start = System.nanoTime();
            try (EtcdDcs dcs = ctl.dcs(agent)) {
                ClusterSpec cluster = StoredSpec.read(dcs, agent);
                List<String> dataHosts = cluster.hostsWith(Role.DATA).stream().map(ClusterSpec.Host::name).toList();
                if (name.equals("patroni_etcd")) {
                    return rotatePatroniEtcd(dcs, agent, cluster, dataHosts, out, start);
                }
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

        /**
         * patroni_etcd: Patroni moves to its other etcd user, made first with the new password; every data host's
         * Patroni takes the new login from patroni.yml on a reload and keeps its session meanwhile; then the user it
         * left is deleted, which ends that session, and Patroni logs in anew with what it reloaded: the leader keeps
         * its key, which it refreshes with the new login.
         */
        private int rotatePatroniEtcd(EtcdDcs dcs, AgentConfig agent, ClusterSpec cluster, List<String> dataHosts,
                                      PrintWriter out, long start)
                throws IOException, DcsException, InterruptedException {
            Versioned<ClusterSecrets> stored = dcs.secrets().orElseThrow(() -> new IOException("no secrets stored"));
            ClusterSecrets next = stored.value().rotatedPatroniEtcd(new SecureRandom());
            String from = stored.value().patroniEtcdUser();
            String to = next.patroniEtcdUser();
            Optional<Versioned<String>> leader = dcs.leaderKey();
            SSLContext tls = CtlMain.adminTls(agent).sslContext();
            // Every Patroni on the current login first: the other user may be one a rotation cut short left behind,
            // which a Patroni not yet reloaded would still use.
            awaitLogin(dcs, cluster, dataHosts, stored.modRevision(), tls);
            dcs.admin().deleteUser(to);
            dcs.admin().ensureAccess(ApplyCommand.access(agent, cluster, dcs.revokedHosts(), to),
                    Map.of(to, next.get("patroni_etcd").orElseThrow()));
            long rotated = dcs.putSecrets(next, stored.modRevision());
            awaitLogin(dcs, cluster, dataHosts, rotated, tls);
            dcs.admin().deleteUser(from);
            long deleted = java.time.Instant.now().getEpochSecond();
            out.printf("rotated patroni_etcd: Patroni logs in to etcd as %s on %s, %s deleted (%.1f s)%n", to,
                    String.join(", ", dataHosts), from, seconds(start));
            if (leader.isPresent()) {
                // Each cycle the leader refreshes its key's lease: two cycles after the old user went, its old session
                // has failed once and it has logged in anew, or it would have stepped down.
                String name = leader.get().value();
                PatroniClient patroni = new PatroniClient(cluster.host(name).orElseThrow().address(),
                        ClusterSpec.PATRONI_PORT, java.time.Duration.ofSeconds(3), tls, "");
                awaitCycles(patroni, name, deleted, 2);
                String now = dcs.leaderKey().map(Versioned::value).orElse("none");
                if (!now.equals(name) || !patroni.member().isLeader()) {
                    throw new IOException("the leader changed during the rotation: " + name + " -> " + now);
                }
                out.printf("the leader %s kept its key and reads etcd with the new login (%.1f s)%n", name,
                        seconds(start));
            }
            return CtlMain.OK;
        }

        /**
         * Waits until every data host's agent has written the secrets of {@code revision} to patroni.yml and signalled
         * Patroni, and every Patroni has read etcd twice since: it takes a reload in at the top of its next cycle.
         */
        private void awaitLogin(Dcs dcs, ClusterSpec cluster, List<String> dataHosts, long revision, SSLContext tls)
                throws IOException, InterruptedException {
            awaitHosts(dcs, "every data host's agent writes the login of secrets generation " + revision
                    + " to patroni.yml and signals Patroni", s -> s.secretsRevision() >= revision,
                    hosts -> hosts.containsAll(dataHosts));
            long signalled = java.time.Instant.now().getEpochSecond();
            for (String host : dataHosts) {
                awaitCycles(new PatroniClient(cluster.host(host).orElseThrow().address(), ClusterSpec.PATRONI_PORT,
                        java.time.Duration.ofSeconds(3), tls, ""), host, signalled, 2);
            }
        }

        /** Waits until {@code host}'s Patroni has read etcd {@code cycles} times after {@code after} (epoch s). */
        private void awaitCycles(PatroniClient patroni, String host, long after, int cycles)
                throws IOException, InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
            long last = after;
            int seen = 0;
            String failure = "";
            while (System.nanoTime() < deadline) {
                try {
                    long read = patroni.dcsLastSeen();
                    if (read > last) {
                        last = read;
                        if (++seen >= cycles) {
                            return;
                        }
                    }
                } catch (IOException e) {
                    failure = ": " + e.getMessage();
                }
                Thread.sleep(250);
            }
            throw new IOException(host + "'s Patroni did not read etcd " + cycles + " times within " + timeoutSeconds
                    + " s (" + seen + " seen" + failure + "); the rotation can be run again");
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
