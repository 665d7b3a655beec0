package io.pgha.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgha.model.Health;
import io.pgha.model.Pending;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;

/**
 * What a host reports when what it probes does not answer (port 9 on loopback: nothing listens there), and the
 * timers as each Patroni version runs them. Answers from real programs are the integration tests' business.
 */
class HostHealthTest {
    private static final String NOBODY = "127.0.0.1";
    private static final int CLOSED = 9;
    private final HostHealth health;

    HostHealthTest() throws Exception {
        health = new HostHealth(SSLContext.getDefault(), Path.of("/nonexistent/ca.crt"));
    }

    @Test
    void anEtcdHostReportsEveryMemberAndItsOwnMembersProblem() {
        Map<String, String> members = new LinkedHashMap<>();
        members.put("etcd1", "https://" + NOBODY + ":" + CLOSED);
        members.put("etcd2", "https://" + NOBODY + ":" + CLOSED);
        HealthReport own = health.etcd("etcd1", members);
        assertEquals(Map.of("etcd1", false, "etcd2", false), own.health().etcd().members());
        assertEquals(1, own.problems().size(), own.problems().toString());
        assertTrue(own.problems().get(0).startsWith("etcd member unhealthy: "), own.problems().toString());

        HealthReport stranger = health.etcd("pg1", members);
        assertEquals(List.of("pg1 is no etcd member"), stranger.problems());
        assertEquals(Map.of("etcd1", false, "etcd2", false), stranger.health().etcd().members(),
                "a host that is no member still tells of the members");
    }

    @Test
    void aDataHostWhosePatroniDoesNotAnswerIsUnreachableAndNothingElseIsGuessed() {
        HealthReport r = health.data("pg1", NOBODY, CLOSED, CLOSED, Optional.of("monitor"), Optional.empty());
        assertEquals(Health.Patroni.UNREACHABLE, r.health().patroni());
        assertNull(r.health().postgres(), "Postgres is not judged without Patroni");
        assertEquals(1, r.problems().size(), r.problems().toString());
        assertTrue(r.problems().get(0).startsWith("Patroni REST API not answering: "), r.problems().toString());
    }

    @Test
    void anLbHostWhoseHaproxyDoesNotAnswerSaysSoAndWaitsForItsServers() {
        HealthReport r = health.lb(NOBODY, CLOSED, List.of("pg1", "pg2"), java.util.Optional.empty());
        assertTrue(r.problems().get(0).startsWith("HAProxy stats not answering: "), r.problems().toString());
        assertEquals(List.of(new Pending("haproxy primary servers", "", "pg1,pg2", Pending.HAPROXY_RELOAD)),
                r.pending(), "the spec's data hosts are not known to be its servers");
    }

    @Test
    void theTimersAreReportedAsTheInstalledPatroniRunsThem() throws Exception {
        var config = new ObjectMapper().readTree("{\"ttl\": 10, \"loop_wait\": 1, \"retry_timeout\": 2}");
        assertEquals("ttl 10, loop_wait 1, retry_timeout 2", HostHealth.timersRun(config, "3.0.2"),
                "Patroni before 3.2 runs them as stored");
        assertEquals("ttl 20, loop_wait 1, retry_timeout 3", HostHealth.timersRun(config, "4.0.7"),
                "3.2 and later raise them");
        assertEquals("ttl 30, loop_wait 10, retry_timeout 10",
                HostHealth.timersRun(new ObjectMapper().readTree("{}"), null), "Patroni's defaults");
    }

    @Test
    void theFloatingAddressIsHeldWhenAnInterfaceOfThisHostHasIt() {
        assertEquals(new Health.Vip("127.0.0.1", true, "lo", null), HostHealth.vipHeld("127.0.0.1"));
        // An address of the blackholed lab network that no interface here has.
        assertEquals(new Health.Vip("10.77.254.254", false, null, null), HostHealth.vipHeld("10.77.254.254"));
    }
}
