package io.pgha.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ClusterSecretsTest {
    private final SecureRandom random = new SecureRandom();

    @Test
    void anUpgradeAddsTheNamesItLacksAndKeepsTheOthers() throws Exception {
        ClusterSecrets old = ClusterSecrets.fromJson("{\"superuser\":\"a\",\"replication\":\"b\",\"rewind\":\"c\"}");
        assertTrue(old.lacksAny());
        ClusterSecrets completed = old.withMissing(random);
        assertFalse(completed.lacksAny());
        assertEquals(Optional.of("a"), completed.get("superuser"), "existing passwords stay");
        assertTrue(completed.get("monitor").orElseThrow().matches("[A-Za-z0-9_-]{43}"));
    }

    @Test
    void aRotationStagesThenPromotesAndKeepsThePrevious() throws Exception {
        ClusterSecrets start = ClusterSecrets.generate(random);
        String old = start.get("replication").orElseThrow();
        ClusterSecrets staged = ClusterSecrets.fromJson(start.staging("replication", random).toJson());
        assertEquals(Optional.of(old), staged.get("replication"), "everyone goes on with the current value");
        String next = staged.staged("replication").orElseThrow();
        assertNotEquals(old, next);
        ClusterSecrets rotated = staged.rotated("replication", random);
        assertEquals(Optional.of(next), rotated.get("replication"), "the staged value becomes the value");
        assertEquals(Optional.of(old), rotated.previous("replication"));
        assertEquals(Optional.empty(), rotated.staged("replication"));
        assertFalse(rotated.toString().contains(next), "never the values in toString: " + rotated);
    }

    @Test
    void patroniEtcdAlternatesBetweenTwoUsersEachWithItsNewPassword() throws Exception {
        ClusterSecrets start = ClusterSecrets.generate(random);
        assertEquals("patroni", start.patroniEtcdUser(), "the first apply's user");
        ClusterSecrets once = ClusterSecrets.fromJson(start.rotatedPatroniEtcd(random).toJson());
        assertEquals("patroni-2", once.patroniEtcdUser());
        assertNotEquals(start.get("patroni_etcd"), once.get("patroni_etcd"));
        assertEquals(start.get("patroni_etcd"), once.previous("patroni_etcd"));
        ClusterSecrets twice = once.rotatedPatroniEtcd(random);
        assertEquals("patroni", twice.patroniEtcdUser(), "back to the first, with a new password");
        assertNotEquals(start.get("patroni_etcd"), twice.get("patroni_etcd"));
        assertFalse(twice.lacksAny());
    }
}
