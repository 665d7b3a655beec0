package io.pgha.pooler;

import io.pgha.dcs.DcsException;
import io.pgha.postgres.MemberWork;
import io.pgha.postgres.Members;
import io.pgha.postgres.PatroniClient;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * {@code pghactl restart}: Postgres restarted on data hosts one at a time, replicas first, each done once it streams
 * again; the leader by a switchover (its demotion restarts it as a replica, the clients wait in the poolers), or in
 * place when no replica can take over.
 */
public final class Restarts {
    private final Members members;
    private final MemberWork work;
    private final Switchover switchover;
    private final Consumer<String> progress;

    /** What became of one host. */
    public record Done(String host, String action, double seconds) {
    }

    public Restarts(Members members, MemberWork work, Switchover switchover, Consumer<String> progress) {
        this.members = members;
        this.work = work;
        this.switchover = switchover;
        this.progress = progress;
    }

    /**
     * The hosts to restart in their order: {@code hosts} (every data host when empty), replicas in the spec's order,
     * then the leader; with {@code pendingOnly}, those Patroni says have a restart pending.
     */
    public static List<String> order(List<String> dataHosts, List<String> hosts, boolean pendingOnly,
                                     List<PatroniClient.ClusterMember> listed) {
        List<String> chosen = hosts.isEmpty() ? dataHosts : hosts;
        List<String> replicas = new ArrayList<>();
        List<String> leader = new ArrayList<>();
        for (String h : dataHosts) {
            if (!chosen.contains(h)) {
                continue;
            }
            Optional<PatroniClient.ClusterMember> m = listed.stream().filter(x -> x.name().equals(h)).findFirst();
            if (pendingOnly && (m.isEmpty() || !m.get().pendingRestart())) {
                continue;
            }
            (m.isPresent() && m.get().isLeader() ? leader : replicas).add(h);
        }
        replicas.addAll(leader);
        return replicas;
    }

    /** Restarts {@code order}'s hosts in turn; the first failure ends it (later hosts untouched). */
    public List<Done> run(List<String> order, Duration timeoutEach)
            throws IOException, InterruptedException, DcsException {
        List<Done> done = new ArrayList<>();
        for (String host : order) {
            long start = System.nanoTime();
            List<PatroniClient.ClusterMember> listed = members.cluster();
            boolean leads = listed.stream().anyMatch(m -> m.name().equals(host) && m.isLeader());
            Optional<String> candidate = leads ? PatroniClient.takeoverCandidates(listed).stream()
                    .map(PatroniClient.ClusterMember::name).findFirst() : Optional.empty();
            String action;
            if (candidate.isPresent()) {
                progress.accept(host + " leads: switching over to " + candidate.get() + " first");
                work.restartByHandOver(host, () -> switchover.run(host, candidate.get(), "pghactl restart",
                        timeoutEach), timeoutEach);
                action = "switched over to " + candidate.get() + ", restarted as a replica";
            } else {
                if (leads) {
                    progress.accept(host + " leads and no replica can take over: restarting it in place");
                }
                work.restart(host, timeoutEach);
                action = leads ? "restarted in place (the leader; no replica could take over)" : "restarted";
            }
            done.add(new Done(host, action, (System.nanoTime() - start) / 1e9));
        }
        return done;
    }
}
