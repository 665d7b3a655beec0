package io.pgha.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * When the agents may end a leader's claim before its lease runs out (fast failover). The observers are every host of
 * the spec with a role, but the leader's own. They must agree: a strict majority of them has seen the leader
 * unreachable for the whole window, none of them sees it reachable, and among the ones that saw it down is a data host
 * (which streams from the leader) and a host that runs no Postgres at all (so that one data host's view of a shared
 * switch or of itself cannot decide alone). An observer that is dead or cut off from etcd loses its verdict with its
 * lease and counts as not agreeing: a leader cut off together with half of the others is left to its lease.
 *
 * <p>Never with a Patroni before 3.0.3 on any data host: its etcd3 client puts the leader key back unconditionally
 * when it renews a claim whose lease ran out, so a leader cut off, failed over early and reconnected after its lease
 * expired could take the key back from its successor, and the successor's acknowledged writes with it (Patroni 3.0.3
 * puts it in a transaction). Debian 12 ships 3.0.2.
 */
public final class FailoverQuorum {
    /** The first Patroni whose etcd3 client takes the leader key back only if nobody holds it. */
    public static final ProgramVersion PATRONI_SAFE = new ProgramVersion(3, 0, 3);

    private FailoverQuorum() {
    }

    /** What the verdicts allow: {@code act}, or why not; the verdicts that counted either way. */
    public record Decision(boolean act, String reason, List<LeaderVerdict> evidence) {
        public Decision {
            evidence = List.copyOf(evidence);
        }
    }

    /** The hosts that observe {@code leader}: every host of the spec with a role, but the leader's own. */
    public static List<ClusterSpec.Host> observers(ClusterSpec spec, String leader) {
        return spec.hosts().values().stream().filter(h -> !h.name().equals(leader) && !h.roles().isEmpty()).toList();
    }

    /** Needed of {@code observers}: a strict majority. */
    public static int needed(int observers) {
        return observers / 2 + 1;
    }

    /**
     * Why the data hosts' Patroni rules fast failover out, or empty when it allows it: {@code versions} are the
     * Patroni versions the data hosts report (host to version text); none known rules it out too.
     */
    public static Optional<String> patroniRefusal(Map<String, String> versions) {
        if (versions.isEmpty()) {
            return Optional.of("no data host reports its Patroni version");
        }
        for (Map.Entry<String, String> e : new java.util.TreeMap<>(versions).entrySet()) {
            Optional<ProgramVersion> v = ProgramVersion.find(e.getValue());
            if (v.isEmpty() || v.get().compareTo(PATRONI_SAFE) < 0) {
                return Optional.of(e.getKey() + " runs Patroni " + e.getValue() + ", which can take a leader key back"
                        + " unconditionally after a partition (fixed in " + PATRONI_SAFE.major() + "."
                        + PATRONI_SAFE.minor() + "." + PATRONI_SAFE.patch() + "): the lease decides");
            }
        }
        return Optional.empty();
    }

    /**
     * Whether {@code verdicts} allow ending {@code leader}'s claim; {@code patroniVersions} as for
     * {@link #patroniRefusal}.
     */
    public static Decision decide(ClusterSpec spec, String leader, Map<String, LeaderVerdict> verdicts,
                                  Map<String, String> patroniVersions) {
        Optional<String> refused = patroniRefusal(patroniVersions);
        if (refused.isPresent()) {
            return new Decision(false, refused.get(), List.of());
        }
        List<ClusterSpec.Host> observers = observers(spec, leader);
        List<LeaderVerdict> counted = new ArrayList<>();
        List<LeaderVerdict> down = new ArrayList<>();
        boolean data = false;
        boolean neutral = false;
        for (ClusterSpec.Host h : observers) {
            Optional<LeaderVerdict> v = Optional.ofNullable(verdicts.get(h.name()))
                    .filter(x -> x.leader().equals(leader));
            if (v.isEmpty()) {
                continue;
            }
            counted.add(v.get());
            if (v.get().reachable()) {
                return new Decision(false, h.name() + " sees " + leader + " reachable", counted);
            }
            down.add(v.get());
            Set<Role> roles = h.roles();
            data |= roles.contains(Role.DATA);
            neutral |= !roles.contains(Role.DATA);
        }
        int needed = needed(observers.size());
        String tally = down.size() + " of " + observers.size() + " observers see " + leader + " unreachable";
        if (down.size() < needed) {
            return new Decision(false, tally + ", " + needed + " needed", counted);
        }
        if (!data) {
            return new Decision(false, tally + ", but no data host among them", counted);
        }
        if (!neutral) {
            return new Decision(false, tally + ", but only data hosts", counted);
        }
        return new Decision(true, tally + " (" + needed + " needed), none sees it reachable", counted);
    }
}
