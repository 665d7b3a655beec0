package io.pgha.agent;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.EtcdAccess;
import io.pgha.dcs.EtcdAdmin;
import io.pgha.dcs.Lock;
import io.pgha.dcs.Versioned;
import io.pgha.model.AgentConfig;
import io.pgha.model.ClusterSpec;
import io.pgha.model.EtcdAlarm;
import io.pgha.model.EtcdMember;
import io.pgha.model.EtcdMemberStatus;
import io.pgha.model.EtcdReport;
import io.pgha.model.HostPaths;
import io.pgha.model.ProgramVersion;
import io.pgha.model.Role;
import io.pgha.roles.EtcdFacts;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Looks after etcd so that nobody has to log in to it. Every agent follows the member list etcd keeps (its client
 * endpoints; agent.yml's list only seeds them). The agent of a host the spec gives the etcd role adds its member as a
 * learner, starts it, and promotes it once it has caught up. The agent whose member is the raft leader removes the
 * member the spec dropped (once every member the spec names votes), recovers a NOSPACE alarm (compact, defragment
 * every member, followers first, then disarm; no lock, as etcd refuses every write meanwhile), and defragments members
 * whose unused space passes the spec's thresholds, one at a time under the etcd lock and only while every member is
 * healthy. A member's restart for a changed etcd.yml takes the same lock. Confined to the loop thread.
 */
final class EtcdCare implements EtcdKeeping {
    private static final Logger log = LoggerFactory.getLogger(EtcdCare.class);
    private static final long LOCK_TTL_SECONDS = 60;
    private static final int DEFRAGS_KEPT = 10;
    /** After the member list went unanswered, how long passes go without asking (the drift interval by default). */
    private static final java.time.Duration MEMBERS_RETRY = java.time.Duration.ofSeconds(30);
    private static final java.time.Duration VERSION_RECHECK = java.time.Duration.ofMinutes(5);
    private static final int LISTEN_CHECK_MILLIS = 300;
    /** How long every member is seen steady before a defragmentation round: the next pass at the default drift. */
    private static final java.time.Duration DEFRAG_SETTLE = java.time.Duration.ofSeconds(20);

    private final String hostName;
    private final String address;
    private final AgentConfig agent;
    private final HostPaths paths;
    private final Dcs dcs;
    private final EtcdAdmin admin;
    private final StateCache<String> endpointsCache;
    private final Lock lock;
    private final Deque<EtcdReport.Defrag> defrags = new ArrayDeque<>();
    private final Deque<EtcdReport.Recovery> recoveries = new ArrayDeque<>();
    private final Map<String, Long> lastDefrag = new LinkedHashMap<>();
    private final SteadyMembers steady = new SteadyMembers();

    private Optional<List<EtcdMember>> members = Optional.empty();
    private Lock.Held restartHeld;
    private long membersRetryAt = System.nanoTime();
    private List<EtcdMember> versionAskedOf = List.of();
    private long versionAskedAt;
    private Optional<ProgramVersion> etcdVersion = Optional.empty();
    private EtcdReport.Member ownMember;
    private boolean authenticationOn;
    private List<EtcdAlarm> alarms = List.of();
    private String membership = "";
    private String error = "";
    private volatile Map<String, String> memberUrls;

    EtcdCare(String hostName, String address, AgentConfig agent, HostPaths paths, Dcs dcs, EtcdAdmin admin,
             StateCache<String> endpointsCache) {
        this.hostName = hostName;
        this.address = address;
        this.agent = agent;
        this.paths = paths;
        this.dcs = dcs;
        this.admin = admin;
        this.endpointsCache = endpointsCache;
        this.lock = dcs.etcdLock(hostName, LOCK_TTL_SECONDS);
        Map<String, String> urls = new LinkedHashMap<>();
        agent.members().forEach((name, a) -> urls.put(name, clientUrl(a)));
        this.memberUrls = urls;
        // The members etcd listed last time, beside agent.yml's seed: a stale seed alone may reach none of them.
        endpointsCache.read().ifPresent(cached -> {
            Set<String> all = new LinkedHashSet<>(List.of(cached.value().split(",")));
            all.addAll(dcs.endpoints());
            dcs.useEndpoints(List.copyOf(all));
        });
    }

    /** Every member's client URL by name, for the health probes (any thread). */
    Map<String, String> memberUrls() {
        return memberUrls;
    }

    /**
     * Before a pass: etcd's member list (endpoints follow it), and this host's member added as a learner when the spec
     * gives it the etcd role and etcd does not list it yet. What the roles need to know of etcd.
     */
    @Override
    public EtcdFacts before(Optional<ClusterSpec> spec, Set<Role> roles) {
        error = "";
        // Said afresh by each pass that still has a membership step to take.
        membership = "";
        if (System.nanoTime() - membersRetryAt < 0) {
            // Not asked again soon after etcd did not answer: a pass in an outage must not wait for a deadline each
            // time, it has supervising and Patroni's failsafe to see to.
            members = Optional.empty();
            return new EtcdFacts(members, restartHeld != null, etcdVersion);
        }
        if (!anyEndpointListening()) {
            // A cluster starting (this host's own member not yet started among them): asking would only wait out
            // the deadline, and hold up the start of this host's member by as much.
            members = Optional.empty();
            return new EtcdFacts(members, restartHeld != null, etcdVersion);
        }
        try {
            members = Optional.of(admin.members());
        } catch (DcsException e) {
            members = Optional.empty();
            membersRetryAt = System.nanoTime() + MEMBERS_RETRY.toNanos();
            return new EtcdFacts(members, restartHeld != null, etcdVersion);
        }
        follow(members.get());
        if (spec.isPresent() && roles.contains(Role.ETCD) && members.get().stream()
                .noneMatch(m -> m.address().equals(address))) {
            join(members.get());
        }
        return new EtcdFacts(members, restartHeld != null, etcdVersion(members.get()));
    }

    /** Whether any client endpoint accepts a connection; one that refuses answers at once. */
    private boolean anyEndpointListening() {
        for (String url : dcs.endpoints()) {
            URI uri = URI.create(url);
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), LISTEN_CHECK_MILLIS);
                return true;
            } catch (IOException e) {
                // refused, or no answer within the check's time: the next endpoint
            }
        }
        return false;
    }

    /**
     * The probe URLs become the members etcd lists (those that have started), the client endpoints its voting members:
     * a learner answers a client with "rpc not supported for learner".
     */
    private void follow(List<EtcdMember> list) {
        Map<String, String> urls = new LinkedHashMap<>();
        List<String> endpoints = new ArrayList<>();
        for (EtcdMember m : list) {
            if (m.started() && !m.clientUrls().isEmpty()) {
                urls.put(m.name(), m.clientUrls().get(0));
                if (!m.learner()) {
                    endpoints.add(m.clientUrls().get(0));
                }
            }
        }
        if (endpoints.isEmpty()) {
            return;
        }
        memberUrls = urls;
        endpoints.sort(null);
        if (!endpoints.equals(dcs.endpoints().stream().sorted().toList())) {
            log.info("etcd members are {}: connecting to them (was {})", endpoints, dcs.endpoints());
            dcs.useEndpoints(endpoints);
        }
        String joined = String.join(",", endpoints);
        if (endpointsCache.read().map(v -> !v.value().equals(joined)).orElse(true)) {
            try {
                endpointsCache.write(new Versioned<>(joined, 0));
            } catch (IOException e) {
                log.warn("cannot keep the etcd member list: {}", e.getMessage());
            }
        }
    }

    private void join(List<EtcdMember> list) {
        Optional<EtcdMember> learner = list.stream().filter(EtcdMember::learner).findFirst();
        if (learner.isPresent()) {
            membership = "waiting to join: member " + name(learner.get()) + " is still a learner (one change at a time)";
            return;
        }
        try {
            Path member = paths.dataDir("etcd").resolve("member");
            if (Files.isDirectory(member)) {
                // A member removed earlier: its data belongs to a membership that no longer exists. Kept, not used.
                Path aside = member.resolveSibling("member.removed-" + System.currentTimeMillis());
                Files.move(member, aside);
                log.warn("etcd data of a removed member moved to {}: this host joins afresh", aside);
            }
            members = Optional.of(admin.addLearner("https://" + address + ":" + agent.peerPort()));
            membership = "added as a learner; promoted once it has caught up with the leader";
            log.info("etcd: {} added as a learner", hostName);
        } catch (DcsException | IOException e) {
            membership = "cannot join the etcd cluster yet: " + e.getMessage();
            log.warn("etcd: {}", membership);
        }
    }

    @Override
    public String name() {
        return "etcd care";
    }

    /**
     * The first step after a pass, whether or not it converged; whatever goes wrong in it is logged and tried again
     * soon, and never keeps the pass from reporting what it did (a member's restart, say).
     */
    @Override
    public boolean run(Pass pass) {
        try {
            return after(pass.spec(), pass.desired().etcdRestartDue(), pass.holdsOff());
        } catch (RuntimeException e) {
            log.warn("etcd care: {}", AgentLoop.describe(e), e);
            return true;
        }
    }

    /**
     * After a pass: this member promoted or restarted in its turn, and, on the raft leader's host, the cluster looked
     * after. True while something is under way that the next pass should look at soon. While {@code paused}, no
     * member is defragmented for its thresholds (a NOSPACE alarm is still recovered: etcd refuses every write then).
     */
    boolean after(Optional<ClusterSpec> spec, boolean restartDue, boolean paused) {
        if (members.isEmpty()) {
            ownMember = null;
            return restartHeld != null;
        }
        ClusterSpec.Etcd settings = spec.map(ClusterSpec::etcd).orElse(ClusterSpec.Etcd.DEFAULT);
        Optional<EtcdMember> me = members.get().stream().filter(m -> m.address().equals(address)).findFirst();
        Optional<EtcdMemberStatus> own = me.flatMap(m -> status(clientUrl(address)));
        ownMember = own.map(s -> report(me.get(), s)).orElse(null);
        if (me.isEmpty()) {
            // A host without a member neither looks after etcd nor may (etcd allows that root only).
            alarms = List.of();
            return restartHeld != null || !membership.isEmpty();
        }
        try {
            alarms = admin.alarms();
        } catch (DcsException e) {
            alarms = List.of();
        }
        boolean busy = restart(restartDue, own);
        if (me.get().learner() && own.isPresent()) {
            busy |= promote(me.get(), own.get());
        }
        if (own.isPresent() && own.get().isLeader() && spec.isPresent()) {
            busy |= lead(spec.get(), settings, own.get(), paused);
        }
        if (own.isPresent() && own.get().isLeader() && spec.isEmpty() && !authenticationOn) {
            busy |= authenticationBeforeSpec();
        }
        busy |= !membership.isEmpty();
        if (alarms.stream().anyMatch(EtcdAlarm::noSpace)) {
            error = "etcd alarm " + describeAlarms() + ": etcd refuses every write (no failover or switchover can"
                    + " happen); the raft leader's agent recovers it (compact, defragment each member, disarm)";
            busy = true;
        }
        return busy;
    }

    /**
     * Before any spec, on the raft leader's host: etcd's users (admin and the etcd hosts' agents, all root) and its
     * authentication on, so that no other certificate of the cluster may read or write from the start (the first
     * apply adds every other user). Once per agent: a spec, once there, has done it already.
     */
    private boolean authenticationBeforeSpec() {
        try {
            // With a spec (even one this agent refuses) an apply has turned it on already.
            if (dcs.spec().isPresent()) {
                authenticationOn = true;
                return false;
            }
            List<String> users = new ArrayList<>(List.of(EtcdAccess.ROOT, EtcdAccess.ADMIN));
            agent.members().keySet().forEach(m -> users.add(EtcdAccess.AGENT_PREFIX + m));
            admin.authenticationOn(users);
            authenticationOn = true;
            log.info("etcd: authentication on before any spec: admin and the etcd hosts' agents only");
            return false;
        } catch (DcsException e) {
            log.warn("etcd: turning authentication on before any spec: {}", e.getMessage());
            return true;
        }
    }

    /** A restart for a changed etcd.yml waits for the etcd lock; the lock goes once the member answers again. */
    private boolean restart(boolean due, Optional<EtcdMemberStatus> own) {
        try {
            if (due && restartHeld == null) {
                restartHeld = lock.tryAcquire().orElse(null);
                if (restartHeld != null) {
                    log.info("etcd: holding the etcd lock to restart this member for its new etcd.yml");
                }
                return true;
            }
            if (restartHeld != null && !due && own.isPresent() && own.get().leaderId() != 0) {
                restartHeld.close();
                restartHeld = null;
                log.info("etcd: member restarted and back in the cluster; etcd lock released");
            } else if (restartHeld != null) {
                restartHeld.refresh();
                return true;
            }
        } catch (IOException e) {
            log.warn("etcd lock: {}", e.getMessage());
            return true;
        }
        return false;
    }

    private boolean promote(EtcdMember me, EtcdMemberStatus own) {
        Optional<String> leader = members.get().stream().filter(m -> m.id() == own.leaderId() && !m.learner())
                .flatMap(m -> m.clientUrls().stream().limit(1)).findFirst();
        if (leader.isEmpty()) {
            membership = "learner waiting for a raft leader to promote it";
            return true;
        }
        try {
            admin.promote(me.id(), leader.get());
            membership = "";
            log.info("etcd: {} promoted to a voting member", hostName);
            return false;
        } catch (DcsException e) {
            // etcd refuses until the learner's log has caught up with the leader's: the next pass asks again.
            membership = "learner catching up with the leader: " + e.getMessage();
            return true;
        }
    }

    /** The raft leader's duties: a member the spec dropped removed, NOSPACE recovered, members defragmented. */
    private boolean lead(ClusterSpec spec, ClusterSpec.Etcd settings, EtcdMemberStatus leader, boolean paused) {
        Map<EtcdMember, Optional<EtcdMemberStatus>> statuses = new LinkedHashMap<>();
        for (EtcdMember m : members.get()) {
            statuses.put(m, m.clientUrls().isEmpty() ? Optional.empty() : status(m.clientUrls().get(0)));
        }
        steady.observe(statuses, leader, System.nanoTime());
        boolean busy = remove(spec, statuses);
        if (alarms.stream().anyMatch(EtcdAlarm::noSpace)) {
            recoverNoSpace(statuses, leader);
            return !alarms.isEmpty();
        }
        if (!paused) {
            defragment(settings, statuses, leader);
        }
        return busy;
    }

    /**
     * Removes one member the spec no longer names: a member that answers once every member the spec names is a
     * voting member (the replacement first); one that does not answer at once, as etcd adds no member, not even a
     * learner, while a voting member is unreachable. Never when the members left answering would not be a quorum of
     * those left.
     */
    private boolean remove(ClusterSpec spec, Map<EtcdMember, Optional<EtcdMemberStatus>> statuses) {
        Set<String> wanted = new LinkedHashSet<>(spec.etcdMembers().values());
        List<EtcdMember> dropped = statuses.keySet().stream().filter(m -> !wanted.contains(m.address()))
                .sorted(java.util.Comparator.comparing(m -> statuses.get(m).isPresent())).toList();
        if (dropped.isEmpty()) {
            return false;
        }
        EtcdMember gone = dropped.get(0);
        List<EtcdMember> voting = statuses.keySet().stream().filter(m -> !m.learner()).toList();
        boolean allWantedVote = wanted.stream().allMatch(a -> voting.stream().anyMatch(m -> m.address().equals(a)));
        if (!allWantedVote && statuses.get(gone).isPresent()) {
            return true;
        }
        long answeringAfter = voting.stream().filter(m -> m.id() != gone.id() && statuses.get(m).isPresent()).count();
        int quorumAfter = (voting.size() - 1) / 2 + 1;
        if (answeringAfter < quorumAfter) {
            log.warn("etcd: not removing {}: {} of the {} members left answer, below their quorum of {}", name(gone),
                    answeringAfter, voting.size() - 1, quorumAfter);
            return true;
        }
        try {
            admin.removeMember(gone.id());
            log.info("etcd: member {} removed (the spec gives {} no etcd role{})", name(gone), gone.address(),
                    statuses.get(gone).isPresent() ? "" : "; it did not answer");
        } catch (DcsException e) {
            log.warn("etcd: cannot remove member {}: {}", name(gone), e.getMessage());
        }
        return true;
    }

    private void recoverNoSpace(Map<EtcdMember, Optional<EtcdMemberStatus>> statuses, EtcdMemberStatus leader) {
        long seen = System.currentTimeMillis();
        String raised = describeAlarms();
        List<String> steps = new ArrayList<>();
        try {
            long revision = admin.compact();
            steps.add("compacted at revision " + revision);
            log.warn("etcd alarm {}: compacted the history up to revision {}", raised, revision);
            for (EtcdMember m : followersFirst(statuses, leader)) {
                if (!m.learner()) {
                    defragmentOne(m, m.id() == leader.memberId(), statuses.get(m), "NOSPACE alarm");
                    steps.add("defragmented " + name(m));
                }
            }
            for (EtcdAlarm alarm : alarms) {
                if (alarm.noSpace()) {
                    admin.disarm(alarm);
                }
            }
            steps.add("disarmed");
            alarms = admin.alarms();
            log.warn("etcd alarm {} disarmed after {} ms: {}", raised, System.currentTimeMillis() - seen,
                    String.join(", ", steps));
            recoveries.addLast(new EtcdReport.Recovery(raised, seen, System.currentTimeMillis(),
                    String.join(", ", steps)));
            while (recoveries.size() > DEFRAGS_KEPT) {
                recoveries.removeFirst();
            }
        } catch (DcsException e) {
            log.warn("etcd alarm {}: recovery stopped after {}: {}", raised, steps, e.getMessage());
        }
    }

    /** Members whose unused space passes the thresholds, defragmented one at a time while every member is healthy. */
    private void defragment(ClusterSpec.Etcd settings, Map<EtcdMember, Optional<EtcdMemberStatus>> statuses,
                            EtcdMemberStatus leader) {
        List<EtcdMember> due = statuses.entrySet().stream().filter(e -> !e.getKey().learner()
                && e.getValue().isPresent()
                && settings.needsDefrag(e.getValue().get().dbBytes(), e.getValue().get().dbInUseBytes()))
                .map(Map.Entry::getKey).toList();
        if (due.isEmpty()) {
            return;
        }
        if (!healthy(statuses)) {
            log.info("etcd: defragmentation of {} waits: not every member is healthy", due.stream().map(this::name)
                    .toList());
            return;
        }
        // A member back from a partition is not due by its size until it has applied what it missed and freed the
        // space of the compaction among it: due only after the leader's turn, it would break the followers-first order.
        List<String> unsettled = steady.unsettled(List.copyOf(statuses.keySet()), System.nanoTime(), DEFRAG_SETTLE)
                .stream().map(this::name).toList();
        if (!unsettled.isEmpty()) {
            log.info("etcd: defragmentation of {} waits: {} not yet healthy and caught up with the leader for {} s",
                    due.stream().map(this::name).toList(), unsettled, DEFRAG_SETTLE.toSeconds());
            return;
        }
        try {
            Optional<Lock.Held> held = lock.tryAcquire();
            if (held.isEmpty()) {
                return;
            }
            try (Lock.Held h = held.get()) {
                for (EtcdMember m : followersFirst(statuses, leader)) {
                    if (!due.contains(m)) {
                        continue;
                    }
                    Map<EtcdMember, Optional<EtcdMemberStatus>> now = new LinkedHashMap<>();
                    statuses.keySet().forEach(x -> now.put(x, x.clientUrls().isEmpty() ? Optional.empty()
                            : status(x.clientUrls().get(0))));
                    if (!healthy(now)) {
                        log.info("etcd: defragmentation stopped before {}: a member became unhealthy", name(m));
                        return;
                    }
                    defragmentOne(m, m.id() == leader.memberId(), now.get(m), "unused space above etcd.defrag thresholds");
                    h.refresh();
                }
            }
        } catch (IOException | DcsException e) {
            log.warn("etcd defragmentation: {}", e.getMessage());
        }
    }

    private void defragmentOne(EtcdMember m, boolean leader, Optional<EtcdMemberStatus> before, String reason)
            throws DcsException {
        if (m.clientUrls().isEmpty()) {
            return;
        }
        long start = System.currentTimeMillis();
        admin.defragment(m.clientUrls().get(0));
        long end = System.currentTimeMillis();
        long after = status(m.clientUrls().get(0)).map(EtcdMemberStatus::dbBytes).orElse(0L);
        EtcdReport.Defrag d = new EtcdReport.Defrag(name(m), leader, start, end,
                before.map(EtcdMemberStatus::dbBytes).orElse(0L), after, reason);
        defrags.addLast(d);
        while (defrags.size() > DEFRAGS_KEPT) {
            defrags.removeFirst();
        }
        lastDefrag.put(name(m), end);
        log.info("etcd: defragmented {} in {} ms ({} -> {} bytes): {}", name(m), end - start, d.beforeBytes(), after,
                reason);
    }

    /** Every member answers, none reports an error, and no alarm is raised. */
    private boolean healthy(Map<EtcdMember, Optional<EtcdMemberStatus>> statuses) {
        return alarms.isEmpty() && statuses.values().stream().allMatch(s -> s.isPresent() && s.get().healthy());
    }

    /**
     * The leader last: defragmenting it blocks its raft work, which the others then wait for. (etcd defragments no
     * learner: it refuses the call.)
     */
    static List<EtcdMember> followersFirst(Map<EtcdMember, Optional<EtcdMemberStatus>> statuses,
                                           EtcdMemberStatus leader) {
        List<EtcdMember> out = new ArrayList<>();
        statuses.keySet().stream().filter(m -> m.id() != leader.memberId()).forEach(out::add);
        statuses.keySet().stream().filter(m -> m.id() == leader.memberId()).forEach(out::add);
        return out;
    }

    /**
     * The newest version among the members, asked of each again when the list changes or after
     * {@link #VERSION_RECHECK} (an upgrade restarts members one by one); empty until one answered.
     */
    private Optional<ProgramVersion> etcdVersion(List<EtcdMember> list) {
        if (list.equals(versionAskedOf) && System.nanoTime() - versionAskedAt < VERSION_RECHECK.toNanos()) {
            return etcdVersion;
        }
        Optional<ProgramVersion> newest = Optional.empty();
        for (EtcdMember m : list) {
            if (m.clientUrls().isEmpty()) {
                continue;
            }
            Optional<ProgramVersion> v = status(m.clientUrls().get(0)).flatMap(s -> ProgramVersion.find(s.version()));
            if (v.isPresent() && (newest.isEmpty() || v.get().compareTo(newest.get()) > 0)) {
                newest = v;
            }
        }
        if (newest.isPresent()) {
            versionAskedOf = list;
            versionAskedAt = System.nanoTime();
            etcdVersion = newest;
        }
        return etcdVersion;
    }

    /** A member's own status; empty when it does not answer (down, cut off, or its channel failing to open). */
    private Optional<EtcdMemberStatus> status(String clientUrl) {
        try {
            return Optional.of(admin.memberStatus(clientUrl));
        } catch (DcsException e) {
            return Optional.empty();
        } catch (RuntimeException e) {
            log.warn("etcd member at {} did not answer: {}", clientUrl, AgentLoop.describe(e));
            return Optional.empty();
        }
    }

    private EtcdReport.Member report(EtcdMember me, EtcdMemberStatus s) {
        String leader = members.orElse(List.of()).stream().filter(m -> m.id() == s.leaderId()).map(this::name)
                .findFirst().orElse(s.leaderId() == 0 ? "" : Long.toHexString(s.leaderId()));
        return new EtcdReport.Member(name(me), me.hexId(), me.learner(), s.dbBytes(), s.dbInUseBytes(), leader,
                s.raftTerm(), s.appliedIndex(), lastDefrag.get(name(me)));
    }

    private String describeAlarms() {
        return String.join(", ", alarms.stream().map(this::describe).toList());
    }

    /** "NOSPACE on etcd2". */
    private String describe(EtcdAlarm a) {
        return a.type() + " on " + members.orElse(List.of()).stream().filter(m -> m.id() == a.memberId())
                .map(this::name).findFirst().orElse(Long.toHexString(a.memberId()));
    }

    private String name(EtcdMember m) {
        return m.started() ? m.name() : m.address();
    }

    private String clientUrl(String memberAddress) {
        return "https://" + memberAddress + ":" + agent.clientPort();
    }

    /** What the status tells of etcd from this agent. */
    @Override
    public EtcdReport report() {
        return new EtcdReport(dcs.endpoints(), ownMember, alarms.stream().map(this::describe).toList(),
                List.copyOf(defrags), List.copyOf(recoveries), membership);
    }

    /** Why etcd is not as it should be right now (a NOSPACE alarm), for the status's error; empty when it is. */
    @Override
    public String error() {
        return error;
    }
}
