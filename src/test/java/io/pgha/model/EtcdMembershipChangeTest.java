package io.pgha.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class EtcdMembershipChangeTest {
    private static final List<EtcdMember> THREE = List.of(member(1, "etcd1", "10.0.0.1", false),
            member(2, "etcd2", "10.0.0.2", false), member(3, "etcd3", "10.0.0.3", false));

    private static EtcdMember member(long id, String name, String address, boolean learner) {
        return new EtcdMember(id, name, List.of("https://" + address + ":2380"), List.of(), learner);
    }

    private static ClusterSpec spec(String etcdHosts) throws InvalidSpecException {
        return ClusterSpecParser.standalone().parse("cluster: demo\nhosts:\n" + etcdHosts
                + "  pg1: {address: 10.0.1.1, role: data}\n", "spec");
    }

    @Test
    void theSameMembersAreNoChange() throws Exception {
        EtcdMembershipChange change = EtcdMembershipChange.between(THREE, spec("""
                  etcd1: {address: 10.0.0.1, role: etcd}
                  etcd2: {address: 10.0.0.2, role: etcd}
                  etcd3: {address: 10.0.0.3, role: etcd}
                """));
        assertTrue(change.isEmpty() && change.errors().isEmpty(), change.toString());
    }

    @Test
    void replacingOneMemberIsOneChange() throws Exception {
        EtcdMembershipChange change = EtcdMembershipChange.between(THREE, spec("""
                  etcd1: {address: 10.0.0.1, role: etcd}
                  etcd2: {address: 10.0.0.2, role: etcd}
                  spare1: {address: 10.0.3.1, role: etcd}
                """));
        assertEquals(List.of("spare1"), change.added());
        assertEquals(List.of("etcd3"), change.removed());
        assertEquals(List.of(), change.errors());
        assertEquals("adds etcd member spare1, removes etcd member etcd3", change.describe());
    }

    @Test
    void twoMembersAtOnceAreRefusedNamingTheField() throws Exception {
        EtcdMembershipChange added = EtcdMembershipChange.between(THREE, spec("""
                  etcd1: {address: 10.0.0.1, role: etcd}
                  etcd2: {address: 10.0.0.2, role: etcd}
                  etcd3: {address: 10.0.0.3, role: etcd}
                  spare1: {address: 10.0.3.1, role: etcd}
                  spare2: {address: 10.0.3.2, role: etcd}
                """));
        assertEquals("hosts.spare2.roles", added.errors().get(0).field());
        assertTrue(added.errors().get(0).reason().contains("one membership change at a time"), added.toString());

        EtcdMembershipChange removed = EtcdMembershipChange.between(List.of(THREE.get(0), THREE.get(1), THREE.get(2),
                member(4, "etcd4", "10.0.0.4", false), member(5, "etcd5", "10.0.0.5", false)), spec("""
                  etcd1: {address: 10.0.0.1, role: etcd}
                  etcd2: {address: 10.0.0.2, role: etcd}
                  etcd3: {address: 10.0.0.3, role: etcd}
                """));
        assertEquals("hosts", removed.errors().get(0).field());
        assertTrue(removed.errors().get(0).reason().contains("removes etcd members etcd4, etcd5"), removed.toString());
    }

    @Test
    void aNewMemberWaitsUntilTheLastOneVotes() throws Exception {
        EtcdMembershipChange change = EtcdMembershipChange.between(List.of(THREE.get(0), THREE.get(1), THREE.get(2),
                new EtcdMember(4, "", List.of("https://10.0.3.1:2380"), List.of(), true)), spec("""
                  etcd1: {address: 10.0.0.1, role: etcd}
                  etcd2: {address: 10.0.0.2, role: etcd}
                  etcd3: {address: 10.0.0.3, role: etcd}
                  spare1: {address: 10.0.3.1, role: etcd}
                  spare2: {address: 10.0.3.2, role: etcd}
                """));
        assertEquals("hosts.spare2.roles", change.errors().get(0).field());
        assertTrue(change.errors().get(0).reason().contains("10.0.3.1 is still joining"), change.toString());
    }

    @Test
    void aMemberKeepsItsName() throws Exception {
        EtcdMembershipChange change = EtcdMembershipChange.between(THREE, spec("""
                  etcd1: {address: 10.0.0.1, role: etcd}
                  etcd2: {address: 10.0.0.2, role: etcd}
                  other: {address: 10.0.0.3, role: etcd}
                """));
        assertEquals("hosts.other.address", change.errors().get(0).field());
    }
}
