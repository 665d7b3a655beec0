package io.pgha.roles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.model.ProgramVersion;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EtcdHardeningTest {
    private static ProgramVersion v(String text) {
        return ProgramVersion.find(text).orElseThrow();
    }

    @Test
    void etcdIsHardenedFromEachLinesSecurityReleaseAndEveryLaterLine() {
        for (String soft : new String[] {"3.4.23", "3.4.41", "3.5.16", "3.5.27", "3.6.0", "3.6.8", "3.3.25"}) {
            assertFalse(EtcdHardening.hardened(v(soft)), soft);
        }
        for (String hard : new String[] {"3.4.42", "3.4.50", "3.5.28", "3.5.30", "3.6.9", "3.7.0", "4.0.0"}) {
            assertTrue(EtcdHardening.hardened(v(hard)), hard);
        }
    }

    @Test
    void patroniIsFixedFromEachLinesReleaseAndEveryLaterLine() {
        for (String old : new String[] {"3.0.2", "3.2.2", "3.3.8", "4.0.7", "4.1.0"}) {
            assertFalse(EtcdHardening.patroniFixed(v(old)), old);
        }
        for (String fixed : new String[] {"3.3.9", "4.0.8", "4.1.1", "4.1.5", "4.2.0", "5.0.0"}) {
            assertTrue(EtcdHardening.patroniFixed(v(fixed)), fixed);
        }
    }

    /** Each platform's pair, and the pairs reported broken upstream. */
    @Test
    void theTableOfCombinations() {
        String[][] works = {{"3.0.2", "3.4.23"}, {"4.0.7", "3.5.16"}, {"4.1.5", "3.5.30"}, {"4.0.8", "3.6.9"},
                {"3.3.9", "3.4.42"}, {"3.0.2", "3.4.41"}};
        for (String[] pair : works) {
            assertEquals(Optional.empty(), EtcdHardening.problem(v(pair[0]), v(pair[1])), String.join(" + ", pair));
        }
        assertEquals(Optional.of("Patroni 4.0.7 cannot work with etcd 3.5.30: etcd since 3.5.28 requires authentication"
                + " for the member list and lease keep-alives, which this Patroni does not send (it would loop on"
                + " authentication errors and never hold the leader key); install Patroni 4.0.8 or later on this"
                + " host"), EtcdHardening.problem(v("4.0.7"), v("3.5.30")));
        assertTrue(EtcdHardening.problem(v("3.0.2"), v("3.4.42")).orElseThrow().contains("install Patroni 3.3.9"));
        assertTrue(EtcdHardening.problem(v("4.1.0"), v("3.6.9")).orElseThrow().contains("install Patroni 4.1.1"));
        assertTrue(EtcdHardening.problem(v("4.0.7"), v("3.7.1")).orElseThrow().contains("etcd since 3.7.0"));
    }
}
