package io.pgha.cli;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.Versioned;
import io.pgha.model.AgentConfig;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.ClusterSpec;
import io.pgha.model.ClusterSpecParser;
import io.pgha.model.InvalidSpecException;
import io.pgha.model.Role;
import io.pgha.pooler.SwitchoverPause;
import io.pgha.postgres.PatroniClient;
import io.pgha.postgres.PatroniConfig;
import io.pgha.postgres.PostgresProbe;
import java.io.IOException;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import javax.net.ssl.SSLContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

@Command(name = "switchover", mixinStandardHelpOptions = true,
        description = "Planned leader change: Patroni does it; with a pooler in the spec, the lb hosts' poolers pause"
                + " for it and resume once their HAProxy routes writes to the new leader (clients wait, they see no"
                + " error); waits until the lb routes writes to the new leader and, in synchronous mode, until"
                + " Patroni has recorded a synchronous standby.")
final class SwitchoverCommand implements Callable<Integer> {
    @CommandLine.ParentCommand
    CtlMain ctl;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--to", paramLabel = "HOST", description = "the new leader (default: a healthy replica)")
    String to;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "how long to wait for the lb to route writes to the new leader (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Override
    public Integer call() throws CtlMain.BadInputException, DcsException, IOException, InterruptedException {
        AgentConfig agent = ctl.agentConfig();
        ClusterSpec cluster;
        ClusterSecrets secrets;
        try (Dcs dcs = ctl.dcs(agent)) {
            Optional<Versioned<String>> stored = dcs.spec();
            Optional<Versioned<ClusterSecrets>> storedSecrets = dcs.secrets();
            if (stored.isEmpty() || storedSecrets.isEmpty()) {
                CtlMain.err(spec).println("no spec stored for cluster " + agent.cluster());
                return CtlMain.FAILURE;
            }
            cluster = new ClusterSpecParser(agent).parse(stored.get().value(), "stored spec");
            secrets = storedSecrets.get().value();
        } catch (InvalidSpecException e) {
            CtlMain.err(spec).println(e.describe());
            return CtlMain.FAILURE;
        }
        List<ClusterSpec.Host> data = cluster.hostsWith(Role.DATA);
        if (to != null && data.stream().noneMatch(h -> h.name().equals(to))) {
            CtlMain.err(spec).println("--to: expected a data host of the spec, one of "
                    + data.stream().map(ClusterSpec.Host::name).toList() + ", found '" + to + "'");
            return CtlMain.BAD_INPUT;
        }
        SSLContext tls = CtlMain.adminTls(agent).sslContext();
        String restPassword = secrets.get("patroni_rest").orElseThrow();
        PatroniClient any = reachable(data, tls, restPassword).orElseThrow(() -> new IOException("no data host's Patroni answers"));
        List<PatroniClient.ClusterMember> members = any.cluster();
        PatroniClient.ClusterMember leader = members.stream().filter(PatroniClient.ClusterMember::isLeader).findFirst()
                .orElseThrow(() -> new IOException("the cluster has no leader to switch over from"));
        String candidate = to != null ? to : PatroniClient.takeoverCandidates(members).stream()
                .map(PatroniClient.ClusterMember::name).findFirst()
                .orElseThrow(() -> new IOException("no running replica can take over"));
        if (candidate.equals(leader.name())) {
            CtlMain.err(spec).println(candidate + " is already the leader");
            return CtlMain.FAILURE;
        }
        PrintWriter out = CtlMain.out(spec);
        String leaderAddress = cluster.host(leader.name()).orElseThrow().address();
        String candidateAddress = cluster.host(candidate).orElseThrow().address();
        long start = System.nanoTime();
        Optional<SwitchoverPause> pause = Optional.empty();
        try (Dcs dcs = ctl.dcs(agent)) {
            if (cluster.pooler().isPresent()) {
                pause = Optional.of(SwitchoverPause.begin(dcs, cluster.hostsWith(Role.LB).stream()
                        .map(ClusterSpec.Host::name).toList()));
                out.printf("poolers paused on %s %.1f s after the request%n", pause.get().paused(),
                        (System.nanoTime() - start) / 1e9);
                pause.get().left().forEach(why -> out.println("WARNING: not paused: " + why));
            }
            try {
                String answer = new PatroniClient(leaderAddress, ClusterSpec.PATRONI_PORT, Duration.ofSeconds(10), tls,
                        restPassword).switchover(leader.name(), candidate);
                out.println("Patroni: " + answer);
                if (pause.isPresent()) {
                    List<String> late = pause.get().resumeOn(candidate, Duration.ofNanos(Math.max(0,
                            Duration.ofSeconds(timeoutSeconds).toNanos() - (System.nanoTime() - start))));
                    out.printf("poolers resumed on %s %.1f s after the request%n", pause.get().paused().stream()
                            .filter(h -> !late.contains(h)).toList(), (System.nanoTime() - start) / 1e9);
                    late.forEach(h -> out.println("WARNING: " + h + "'s pooler had not resumed; it does now"));
                }
            } finally {
                if (pause.isPresent()) {
                    pause.get().close();
                }
            }
        }
        PostgresProbe pg = new PostgresProbe(PatroniConfig.SUPERUSER, secrets.get("superuser").orElseThrow(), 2,
                agent.caCertificate());
        for (ClusterSpec.Host lb : cluster.hostsWith(Role.LB)) {
            awaitWritesReach(pg, lb, cluster.haproxy().primaryPort(), candidateAddress, start);
            out.printf("writes via %s:%d reach %s %.1f s after the request%n", lb.name(), cluster.haproxy().primaryPort(),
                    candidate, (System.nanoTime() - start) / 1e9);
        }
        if (cluster.patroni().synchronousMode()) {
            long left = Math.max(0, Duration.ofSeconds(timeoutSeconds).toNanos() - (System.nanoTime() - start));
            String standby = any.awaitSynchronousStandby(Duration.ofNanos(left));
            out.printf("synchronous standby %s recorded %.1f s after the request%n", standby,
                    (System.nanoTime() - start) / 1e9);
        }
        out.println("switched over from " + leader.name() + " to " + candidate);
        return CtlMain.OK;
    }

    private Optional<PatroniClient> reachable(List<ClusterSpec.Host> data, SSLContext tls, String restPassword) {
        for (ClusterSpec.Host h : data) {
            PatroniClient c = new PatroniClient(h.address(), ClusterSpec.PATRONI_PORT, Duration.ofSeconds(3), tls,
                    restPassword);
            try {
                c.member();
                return Optional.of(c);
            } catch (IOException e) {
                // try the next one
            }
        }
        return Optional.empty();
    }

    /** Until a write-capable session through the lb lands on the new leader, or the timeout. */
    private void awaitWritesReach(PostgresProbe pg, ClusterSpec.Host lb, int port, String address, long start)
            throws IOException, InterruptedException {
        long deadline = start + Duration.ofSeconds(timeoutSeconds).toNanos();
        String seen = "nothing yet";
        while (System.nanoTime() < deadline) {
            try (Connection c = pg.connect(lb.address(), port); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("select host(inet_server_addr()), pg_is_in_recovery()")) {
                rs.next();
                seen = rs.getString(1) + (rs.getBoolean(2) ? " (in recovery)" : " (writable)");
                if (rs.getString(1).equals(address) && !rs.getBoolean(2)) {
                    return;
                }
            } catch (SQLException e) {
                seen = e.getMessage();
            }
            Thread.sleep(100);
        }
        throw new IOException("writes via " + lb.name() + " did not reach " + address + " within " + timeoutSeconds
                + " s; last seen: " + seen);
    }
}
