package io.pgha.dcs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import io.pgha.model.Role;
import org.junit.jupiter.api.Test;

class EtcdAccessTest {

    @Test
    void eachIdentityGetsTheLeastItNeeds() {
        Map<String, Set<Role>> hosts = new LinkedHashMap<>();
        hosts.put("etcd1", Set.of(Role.ETCD));
        hosts.put("pg1", Set.of(Role.DATA));
        hosts.put("lb1", Set.of(Role.LB));
        hosts.put("spare1", Set.of());
        EtcdAccess access = EtcdAccess.of("demo", hosts);
        assertEquals("root", access.users().get("admin"), "pghactl is root");
        assertEquals(List.of(new EtcdAccess.Permission("/service/demo/", true, true)), access.roles().get("patroni"),
                "Patroni: its own prefix and nothing else");
        List<EtcdAccess.Permission> pg = access.roles().get("agent-pg1");
        assertTrue(pg.contains(new EtcdAccess.Permission("/pgha/demo/secrets", false, false)), pg.toString());
        assertTrue(pg.contains(new EtcdAccess.Permission("/pgha/demo/locks/restart", false, true)), pg.toString());
        List<EtcdAccess.Permission> lb = access.roles().get("agent-lb1");
        assertEquals(List.of(new EtcdAccess.Permission("/pgha/demo/spec", false, false),
                new EtcdAccess.Permission("/pgha/demo/maintenance", false, false),
                new EtcdAccess.Permission("/pgha/demo/hosts/lb1/", true, true),
                new EtcdAccess.Permission("/pgha/demo/leader-verdicts/lb1", false, true),
                new EtcdAccess.Permission("/service/demo/leader", false, false),
                new EtcdAccess.Permission("/pgha/demo/pooler-pause", false, false)), lb,
                "an lb host reads no password; it reads the poolers' pause, observes the leader for fast failover"
                        + " and may not end its claim");
        assertTrue(pg.contains(new EtcdAccess.Permission("/service/demo/leader", false, true)), "a data host may end"
                + " a dead leader's claim, as its Patroni's password may: " + pg);
        assertTrue(pg.contains(new EtcdAccess.Permission("/pgha/demo/leader-verdicts/", true, false)), pg.toString());
        assertEquals("root", access.users().get("agent-etcd1"), "an etcd host's agent changes the membership and"
                + " defragments, which etcd allows root only (its disk holds the whole database anyway)");
        assertEquals(List.of(new EtcdAccess.Permission("/pgha/demo/spec", false, false),
                new EtcdAccess.Permission("/pgha/demo/maintenance", false, false),
                new EtcdAccess.Permission("/pgha/demo/hosts/spare1/", true, true)), access.roles().get("agent-spare1"),
                "a spare host reads the spec and the pause, and writes its status");
        assertTrue(access.roles().values().stream().flatMap(List::stream)
                .noneMatch(p -> p.key().equals("/pgha/demo/spec") && p.write()), "only admin writes the spec");
    }

    @Test
    void aHostThatLeftKeepsTheLeastAnAgentNeeds() {
        EtcdAccess access = EtcdAccess.of("demo", Map.of("pg1", Set.of(Role.DATA)))
                .withDeparted("demo", List.of("root", "admin", "agent-pg1", "agent-pg9", "backup-operator"));
        assertEquals(List.of(new EtcdAccess.Permission("/pgha/demo/spec", false, false),
                new EtcdAccess.Permission("/pgha/demo/maintenance", false, false),
                new EtcdAccess.Permission("/pgha/demo/hosts/pg9/", true, true)), access.roles().get("agent-pg9"),
                "it reads the spec that took its roles away, and says it stopped; no secrets any more");
        assertTrue(access.roles().get("agent-pg1").contains(
                new EtcdAccess.Permission("/pgha/demo/secrets", false, false)), "a host of the spec keeps its grants");
        assertFalse(access.users().containsKey("backup-operator"), "a user someone added by hand is left alone");
    }
}
