package io.pgha.postgres;

import io.pgha.dcs.Dcs;
import io.pgha.model.LeaderChange;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * {@code pghactl failover --to HOST --force}: promotes a replica when there is no healthy leader to hand over (Patroni
 * paused with its leader gone, say). Refused while a leader answers as one: a switchover loses nothing then.
 */
public final class ManualFailover {
    private static final long POLL_MILLIS = 250;
    private final Members members;
    private final LeaderChangeLog changes;
    private final Consumer<String> progress;

    public ManualFailover(Members members, Dcs dcs, Consumer<String> progress) {
        this.members = members;
        this.changes = LeaderChangeLog.into(dcs, why -> progress.accept("WARNING: " + why));
        this.progress = progress;
    }

    /** Why a failover to {@code candidate} is refused now, or empty when it may go ahead. */
    public Optional<String> refusal(String candidate, List<PatroniClient.ClusterMember> listed) {
        Optional<PatroniClient.ClusterMember> leader = listed.stream().filter(PatroniClient.ClusterMember::isLeader)
                .findFirst();
        if (leader.isPresent() && leader.get().name().equals(candidate)) {
            return Optional.of(candidate + " is already the leader");
        }
        if (leader.isPresent() && leader.get().state().equals("running") && answersAsLeader(leader.get().name())) {
            return Optional.of("the leader " + leader.get().name() + " answers and runs: a failover would throw away"
                    + " the writes " + candidate + " has not received; use pghactl switchover --to " + candidate);
        }
        Optional<PatroniClient.ClusterMember> c = members.member(listed, candidate);
        if (c.isEmpty() || !c.get().state().equals("running")) {
            return Optional.of(candidate + " cannot take over: Patroni lists it "
                    + c.map(m -> "as " + m.state()).orElse("not at all") + "; expected a running replica");
        }
        return Optional.empty();
    }

    private boolean answersAsLeader(String host) {
        try {
            PatroniClient.Member m = members.patroni(host, Duration.ofSeconds(3)).member();
            return m.isLeader() && m.state().equals("running");
        } catch (IOException e) {
            return false;
        }
    }

    /** Asks Patroni to promote {@code candidate} and waits until it leads; {@code from}: the leader gone. */
    public void run(String candidate, String from, Duration timeout) throws IOException, InterruptedException {
        long start = System.nanoTime();
        long at = System.currentTimeMillis();
        PatroniClient patroni = members.patroni(candidate, timeout);
        progress.accept("Patroni: " + patroni.failover(candidate));
        String seen = "nothing yet";
        while (System.nanoTime() - start < timeout.toNanos()) {
            try {
                PatroniClient.Member m = patroni.member();
                if (m.isLeader() && m.state().equals("running")) {
                    progress.accept(String.format("%s leads (timeline %d) %.1f s after the request", candidate,
                            m.timeline(), (System.nanoTime() - start) / 1e9));
                    changes.record(new LeaderChange(LeaderChange.FAILOVER, from, candidate, at, "pghactl",
                            "pghactl failover --force", 0));
                    return;
                }
                seen = m.role() + ", " + m.state();
            } catch (IOException e) {
                seen = e.getMessage();
            }
            Thread.sleep(POLL_MILLIS);
        }
        throw new IOException(candidate + " does not lead within " + timeout.toSeconds() + " s of the failover; last"
                + " seen: " + seen);
    }

}
