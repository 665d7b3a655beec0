package io.pgha.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgha.model.EtcdMember;
import io.pgha.model.EtcdMemberStatus;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EtcdCareTest {
    private static final EtcdMember ETCD1 = member(1, "10.77.0.11");
    private static final EtcdMember ETCD2 = member(2, "10.77.0.12");
    private static final EtcdMember ETCD3 = member(3, "10.77.0.13");

    @Test
    void aMemberIsSettledOnlyAfterAnsweringCaughtUpWithoutABreakForTheWholeSettleTime() {
        SteadyMembers steady = new SteadyMembers();
        Duration settle = Duration.ofSeconds(20);
        List<EtcdMember> all = List.of(ETCD1, ETCD2, ETCD3);
        EtcdMemberStatus leader = status(2, 500);
        Map<EtcdMember, Optional<EtcdMemberStatus>> statuses = new LinkedHashMap<>();
        statuses.put(ETCD1, Optional.of(status(1, 499)));
        statuses.put(ETCD2, Optional.of(status(2, 503)));
        statuses.put(ETCD3, Optional.empty());
        steady.observe(statuses, leader, seconds(0));
        assertEquals(all, steady.unsettled(all, seconds(0), settle), "behind, not seen long enough, not answering");
        assertEquals(List.of(ETCD1, ETCD3), steady.unsettled(all, seconds(25), settle), "the leader has been steady");

        // Back from a partition: caught up at once, but steady only from this look on.
        statuses.put(ETCD1, Optional.of(status(1, 500)));
        statuses.put(ETCD3, Optional.of(status(3, 500)));
        steady.observe(statuses, leader, seconds(30));
        assertEquals(List.of(ETCD1, ETCD3), steady.unsettled(all, seconds(49), settle));
        steady.observe(statuses, leader, seconds(50));
        assertEquals(List.of(), steady.unsettled(all, seconds(50), settle));

        // One look without a raft leader starts that member's time again.
        statuses.put(ETCD3, Optional.of(new EtcdMemberStatus(3, 0, 3, 500, 1 << 20, 1 << 19, false, List.of(),
                "3.4.23")));
        steady.observe(statuses, leader, seconds(60));
        statuses.put(ETCD3, Optional.of(status(3, 500)));
        steady.observe(statuses, leader, seconds(70));
        assertEquals(List.of(ETCD3), steady.unsettled(all, seconds(89), settle));
        assertEquals(List.of(), steady.unsettled(all, seconds(90), settle));
    }

    private static long seconds(long s) {
        return Duration.ofSeconds(s).toNanos();
    }

    @Test
    void theLeaderComesLastWhereverEtcdListsIt() {
        Map<EtcdMember, Optional<EtcdMemberStatus>> statuses = new LinkedHashMap<>();
        statuses.put(ETCD1, Optional.of(status(1, 10)));
        statuses.put(ETCD2, Optional.of(status(2, 10)));
        statuses.put(ETCD3, Optional.of(status(3, 10)));
        assertEquals(List.of(ETCD2, ETCD3, ETCD1), EtcdCare.followersFirst(statuses, status(1, 10)));
        assertEquals(List.of(ETCD1, ETCD3, ETCD2), EtcdCare.followersFirst(statuses, status(2, 10)));
    }

    private static EtcdMember member(long id, String address) {
        return new EtcdMember(id, "etcd" + id, List.of("https://" + address + ":2380"),
                List.of("https://" + address + ":2379"), false);
    }

    /** Member {@code id}'s own status; what is tested reads only its id and applied index. */
    private static EtcdMemberStatus status(long id, long applied) {
        return new EtcdMemberStatus(id, 2, 3, applied, 1 << 20, 1 << 19, false, List.of(), "3.4.23");
    }
}
