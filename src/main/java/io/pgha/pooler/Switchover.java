package io.pgha.pooler;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.model.ClusterSpec;
import io.pgha.model.LeaderChange;
import io.pgha.model.Role;
import io.pgha.postgres.LeaderChangeLog;
import io.pgha.postgres.Members;
import io.pgha.postgres.PatroniConfig;
import io.pgha.postgres.PostgresProbe;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A planned leader change, as pghactl makes it: with a pooler in the spec the lb hosts' poolers pause for it and
 * resume once their HAProxy routes writes to the new leader; Patroni switches over; done once writes through every
 * lb reach the new leader and, in synchronous mode, Patroni has recorded a synchronous standby. Recorded for
 * {@code pghactl history}.
 */
public final class Switchover {
    private final Members members;
    private final Dcs dcs;
    private final LeaderChangeLog changes;
    private final Path caFile;
    private final Consumer<String> progress;

    /** @param progress told each step as it is done, with the seconds since the request */
    public Switchover(Members members, Dcs dcs, Path caFile, Consumer<String> progress) {
        this.members = members;
        this.dcs = dcs;
        this.changes = LeaderChangeLog.into(dcs, why -> progress.accept("WARNING: " + why));
        this.caFile = caFile;
        this.progress = progress;
    }

    /** From {@code leader} to {@code candidate}, within {@code timeout}; {@code detail} says what it is for. */
    public void run(String leader, String candidate, String detail, Duration timeout)
            throws IOException, InterruptedException, DcsException {
        ClusterSpec cluster = members.spec();
        long start = System.nanoTime();
        long at = System.currentTimeMillis();
        Optional<SwitchoverPause> pause = Optional.empty();
        try {
            if (cluster.pooler().isPresent()) {
                pause = Optional.of(SwitchoverPause.begin(dcs, cluster.hostsWith(Role.LB).stream()
                        .map(ClusterSpec.Host::name).toList()));
                progress.accept(String.format("poolers paused on %s %.1f s after the request", pause.get().paused(),
                        since(start)));
                pause.get().left().forEach(why -> progress.accept("WARNING: not paused: " + why));
            }
            String answer = members.patroni(leader, Duration.ofSeconds(10)).switchover(leader, candidate);
            progress.accept("Patroni: " + answer);
            changes.record(new LeaderChange(LeaderChange.SWITCHOVER, leader, candidate, at, "pghactl", detail, 0));
            if (pause.isPresent()) {
                List<String> late = pause.get().resumeOn(candidate, left(start, timeout));
                progress.accept(String.format("poolers resumed on %s %.1f s after the request", pause.get().paused()
                        .stream().filter(h -> !late.contains(h)).toList(), since(start)));
                late.forEach(h -> progress.accept("WARNING: " + h + "'s pooler had not resumed; it does now"));
            }
        } finally {
            if (pause.isPresent()) {
                pause.get().close();
            }
        }
        String address = cluster.host(candidate).orElseThrow().address();
        try (PostgresProbe pg = new PostgresProbe(PatroniConfig.SUPERUSER,
                members.secrets().get("superuser").orElseThrow(), 2, caFile)) {
            for (ClusterSpec.Host lb : cluster.hostsWith(Role.LB)) {
                awaitWritesReach(pg, lb, cluster.haproxy().primaryPort(), address, start, timeout);
                progress.accept(String.format("writes via %s:%d reach %s %.1f s after the request", lb.name(),
                        cluster.haproxy().primaryPort(), candidate, since(start)));
            }
        }
        if (cluster.patroni().synchronousMode()) {
            String standby = members.anyAnswering().awaitSynchronousStandby(left(start, timeout));
            progress.accept(String.format("synchronous standby %s recorded %.1f s after the request", standby,
                    since(start)));
        }
    }

    private static double since(long start) {
        return (System.nanoTime() - start) / 1e9;
    }

    private static Duration left(long start, Duration timeout) {
        return Duration.ofNanos(Math.max(0, timeout.toNanos() - (System.nanoTime() - start)));
    }

    /** Until a write-capable session through the lb lands on the new leader, or the timeout. */
    private static void awaitWritesReach(PostgresProbe pg, ClusterSpec.Host lb, int port, String address, long start,
                                         Duration timeout) throws IOException, InterruptedException {
        long deadline = start + timeout.toNanos();
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
        throw new IOException("writes via " + lb.name() + " did not reach " + address + " within "
                + timeout.toSeconds() + " s; last seen: " + seen);
    }
}
