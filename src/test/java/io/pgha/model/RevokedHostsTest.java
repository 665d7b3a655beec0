package io.pgha.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Set;
import org.junit.jupiter.api.Test;

class RevokedHostsTest {
    private static ClusterSpec spec(String hosts) throws Exception {
        AgentConfig agent = AgentConfig.parse(AgentConfigTest.MINIMAL, "agent.yml");
        return new ClusterSpecParser(agent).parse("cluster: demo\nhosts:\n"
                + "  etcd1: {address: 10.0.0.1, role: etcd}\n  etcd2: {address: 10.0.0.2, role: etcd}\n"
                + "  etcd3: {address: 10.0.0.3, role: etcd}\n  pg1: {address: 10.0.1.1, role: data}\n" + hosts,
                "spec");
    }

    @Test
    void theAddressOfARevokedHostIsRefusedUnlessTheSpecGivesItToAnotherHost() throws Exception {
        RevokedHosts revoked = RevokedHosts.NONE
                .with("lb1", new RevokedHosts.Revocation("10.0.2.1", "first"))
                .with("lb1", new RevokedHosts.Revocation("10.0.2.9", "again"))
                .with("gone", new RevokedHosts.Revocation("", "not in the spec"));
        assertEquals("first", revoked.hosts().get("lb1").why(), "a second revoke keeps the first record");
        assertEquals(Set.of("gone", "lb1"), revoked.names());
        assertEquals(Set.of("10.0.2.1"), revoked.refusedAddresses(spec("  lb1: {address: 10.0.2.1, role: lb}\n")),
                "still listed, still refused");
        assertEquals(Set.of("10.0.2.1"), revoked.refusedAddresses(spec("")), "out of the spec, still refused");
        assertEquals(Set.of(), revoked.refusedAddresses(spec("  lb2: {address: 10.0.2.1, role: lb}\n")),
                "its address given to a new host");
        assertEquals(revoked, RevokedHosts.TEXT.read(RevokedHosts.TEXT.write(revoked)));
    }
}
