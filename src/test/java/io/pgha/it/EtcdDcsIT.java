package io.pgha.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.EtcdDcs;
import io.pgha.dcs.HostStatuses;
import io.pgha.dcs.Keys;
import io.pgha.dcs.Lock;
import io.pgha.dcs.Versioned;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.EarlyFailover;
import io.pgha.model.Health;
import io.pgha.model.LeaderVerdict;
import io.pgha.model.HostRequest;
import io.pgha.model.HostStatus;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DCS contracts against a real etcd on loopback, over TLS as pghactl uses it: the store's typed values with their
 * revisions, compare-and-swap, values it cannot read, leases, locks and watches, and etcd's administration.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EtcdDcsIT {
    private static final String CLUSTER = "dcstest";
    private final Keys keys = new Keys(CLUSTER);
    private TestEtcd etcd;
    private EtcdDcs dcs;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        etcd = new TestEtcd(dir, "127.0.3.2", CLUSTER);
        dcs = etcd.dcs();
    }

    @AfterAll
    void stop() throws Exception {
        if (dcs != null) {
            dcs.close();
        }
        if (etcd != null) {
            etcd.close();
        }
    }

    private static HostStatus status(String host) {
        return new HostStatus(HostStatus.SCHEMA, host, "10.0.1.1", "data", 3, true, HostStatus.APPLIED, List.of(),
                List.of(), List.of(), Health.NONE, List.of(), List.of(), List.of(), List.of(), "", "test", 1, 0, 0,
                null, null);
    }

    @Test
    void theSpecIsWrittenOnlyOverTheRevisionItWasReadAt() throws Exception {
        long read = dcs.spec().map(Versioned::modRevision).orElse(0L);
        long first = dcs.applySpec("cluster: a\n", read);
        assertEquals(Optional.of(new Versioned<>("cluster: a\n", first)), dcs.spec());
        DcsException.RevisionConflict conflict = assertThrows(DcsException.RevisionConflict.class,
                () -> dcs.applySpec("cluster: b\n", 0), "0: only if there is none");
        assertEquals(0, conflict.expected());
        assertThrows(DcsException.RevisionConflict.class, () -> dcs.applySpec("cluster: b\n", read), "a stale read");
        long second = dcs.applySpec("cluster: b\n", first);
        assertTrue(second > first);
        assertEquals(new Versioned<>("cluster: b\n", second), dcs.spec().orElseThrow());
    }

    @Test
    void secretsAndRequestsComeBackTypedAndAValueNotTheirsIsMalformedAtItsRevision() throws Exception {
        ClusterSecrets secrets = ClusterSecrets.of(Map.of("superuser", "s3cret"));
        long stored = dcs.putSecrets(secrets, 0);
        Versioned<ClusterSecrets> read = dcs.secrets().orElseThrow();
        assertEquals(stored, read.modRevision());
        assertEquals(Optional.of("s3cret"), read.value().get("superuser"));
        assertThrows(DcsException.RevisionConflict.class, () -> dcs.putSecrets(secrets, 0));

        HostRequest request = new HostRequest("id-1", HostRequest.BACKUP, "full", "");
        dcs.putRequest("pg1", request);
        assertEquals(request, dcs.request("pg1").orElseThrow().value());
        assertEquals(Optional.empty(), dcs.request("pg2"));

        dcs.put(keys.request("pg3"), "{\"id\": \"x\", \"kind\": \"rm -rf\"}", 0);
        long written = dcs.get(keys.request("pg3")).orElseThrow().modRevision();
        DcsException.Malformed malformed = assertThrows(DcsException.Malformed.class, () -> dcs.request("pg3"));
        assertEquals(written, malformed.revision(), "a follower watches on after it");
        assertTrue(malformed.getMessage().startsWith(keys.request("pg3")), malformed.getMessage());
    }

    @Test
    void statusesLiveOnTheirLeaseAndAnUnreadableOneHidesNoOther() throws Exception {
        long lease = dcs.grantLease(30);
        dcs.putStatus(status("st1"), lease);
        dcs.put(keys.status("st2"), "{not json", 0);
        HostStatuses all = dcs.hostStatuses();
        assertEquals(status("st1"), all.readable().get("st1"));
        assertTrue(all.unreadable().getOrDefault("st2", "").startsWith("unreadable status: "), all.toString());
        dcs.keepAlive(lease);
        dcs.revokeLease(lease);
        assertEquals(null, dcs.hostStatuses().readable().get("st1"), "gone with its lease");
        assertThrows(DcsException.LeaseLost.class, () -> dcs.keepAlive(lease));
        dcs.delete(keys.status("st2"));
    }

    @Test
    void aLeadersClaimEndsOnlyAsReadAndAtMostOncePerGuard() throws Exception {
        long patroniLease = dcs.grantLease(30);
        dcs.put(keys.patroniLeader(), "pg1", patroniLease);
        Versioned<String> read = dcs.leaderKey().orElseThrow();
        EarlyFailover record = new EarlyFailover("pg1", "pg2", 1000,
                List.of(new LeaderVerdict("pg2", "pg1", false, 900, "connection refused", "connection refused")));
        assertFalse(dcs.endLeaderClaim(new Versioned<>("pg1", read.modRevision() - 1), record, 30),
                "a key written since it was read stays");
        assertFalse(dcs.endLeaderClaim(new Versioned<>("pg3", read.modRevision()), record, 30),
                "another holder's key stays");
        assertEquals(Optional.empty(), dcs.lastEarlyFailover(), "nothing recorded when nothing was done");
        assertTrue(dcs.endLeaderClaim(read, record, 30));
        assertEquals(Optional.empty(), dcs.leaderKey(), "the claim is gone");
        assertEquals(Optional.of(record), dcs.lastEarlyFailover());
        dcs.put(keys.patroniLeader(), "pg2", patroniLease);
        assertFalse(dcs.endLeaderClaim(dcs.leaderKey().orElseThrow(), record, 30),
                "the guard holds for a ttl: no second early failover");
        assertEquals(Optional.of("pg2"), dcs.leaderKey().map(Versioned::value));
        dcs.revokeLease(patroniLease);
        dcs.delete(keys.earlyFailoverGuard());
        dcs.delete(keys.earlyFailover());
    }

    @Test
    void verdictsLiveOnTheirObserversLease() throws Exception {
        long lease = dcs.grantLease(30);
        LeaderVerdict v = new LeaderVerdict("lb1", "pg1", true, 1000, "answers", "not asked");
        dcs.putVerdict(v, lease);
        dcs.put(keys.verdict("bad"), "{", 0);
        assertEquals(Map.of("lb1", v), dcs.verdicts(), "an unreadable verdict does not count");
        dcs.revokeLease(lease);
        dcs.delete(keys.verdict("bad"));
        assertEquals(Map.of(), dcs.verdicts());
    }

    @Test
    void aLockHasOneHolderAtATime() throws Exception {
        Lock a = dcs.restartLock("a", 30);
        Lock b = dcs.restartLock("b", 30);
        Optional<Lock.Held> held = a.tryAcquire();
        assertTrue(held.isPresent(), "free at first");
        assertEquals(Optional.empty(), b.tryAcquire(), "held by a");
        held.get().refresh();
        held.get().close();
        Optional<Lock.Held> next = b.tryAcquire();
        assertTrue(next.isPresent(), "free once a let go");
        next.get().close();
        Optional<Lock.Held> etcdLock = dcs.etcdLock("a", 30).tryAcquire();
        assertTrue(etcdLock.isPresent(), "the etcd lock is another");
        etcdLock.get().close();
    }

    @Test
    void aWatchOfAnAbsentKeyHearsItsFirstValueAndOneFromARevisionHearsWhatFollows() throws Exception {
        CountDownLatch created = new CountDownLatch(1);
        try (Dcs.Watch watch = dcs.watchRequest("new1", 0, created::countDown, e -> { })) {
            dcs.putRequest("new1", new HostRequest("id-2", HostRequest.DRILL, "", ""));
            assertTrue(created.await(10, TimeUnit.SECONDS), "the first value of a key absent when watched");
        }
        long at = dcs.applySpec("cluster: w\n", dcs.spec().map(Versioned::modRevision).orElse(0L));
        CountDownLatch changed = new CountDownLatch(1);
        List<Optional<Versioned<String>>> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (Dcs.Watch watch = dcs.watchSpec(at, v -> {
            seen.add(v);
            changed.countDown();
        }, e -> { })) {
            long next = dcs.applySpec("cluster: x\n", at);
            assertTrue(changed.await(10, TimeUnit.SECONDS), "the change after the revision watched from");
            assertEquals(Optional.of(new Versioned<>("cluster: x\n", next)), seen.get(0));
        }
    }

    @Test
    void administrationListsMembersAndAlarmsCompactsAndRemovesPatronisKeys() throws Exception {
        assertEquals(List.of("t1"), dcs.admin().members().stream().map(m -> m.name()).toList());
        assertEquals(List.of(etcd.clientUrl()), dcs.admin().members().get(0).clientUrls());
        assertEquals(List.of(), dcs.admin().alarms());
        long compacted = dcs.admin().compact();
        assertTrue(compacted > 0);
        dcs.put("/service/" + CLUSTER + "/leader", "pg1", 0);
        dcs.put("/service/" + CLUSTER + "/members/pg1", "{}", 0);
        dcs.put("/service/" + CLUSTER + "x/leader", "another cluster's", 0);
        assertEquals(2, dcs.admin().deletePatroniKeys());
        assertEquals(Optional.empty(), dcs.get("/service/" + CLUSTER + "/leader"));
        assertEquals("another cluster's", dcs.get("/service/" + CLUSTER + "x/leader").orElseThrow().value());
    }
}
