package io.pgha.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class JoinTokenTest {
    private static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");
    private final SecureRandom random = new SecureRandom();
    private final ClusterCa ca = ClusterCa.create("demo", random, NOW);

    @Test
    void aTokenSaysWhatItIsForAndOnlyTheCaThatSignedItAcceptsIt() throws Exception {
        String text = JoinToken.issue(ca, "demo", "pg1", "10.0.1.1", Duration.ofHours(24), NOW, random);
        assertTrue(text.startsWith(JoinToken.PREFIX) && text.length() < 250, text.length() + " characters");
        JoinToken token = JoinToken.validate(text + "\n", ca.issued().certificate(), NOW.plusSeconds(60));
        assertEquals(new JoinToken("demo", "pg1", "10.0.1.1", NOW.plus(Duration.ofHours(24)), token.nonce()), token);
        assertEquals(32, token.nonce().length());
        String again = JoinToken.issue(ca, "demo", "pg1", "10.0.1.1", Duration.ofHours(24), NOW, random);
        assertNotEquals(token.nonce(), JoinToken.validate(again, ca.issued().certificate(), NOW).nonce(),
                "each token is used once: its own nonce");
        ClusterCa other = ClusterCa.create("demo", random, NOW);
        assertEquals("a join secret the cluster CA did not sign", assertThrows(JoinToken.Invalid.class,
                () -> JoinToken.validate(text, other.issued().certificate(), NOW)).getMessage());
        assertEquals("a join secret that expired at 2026-12-07T12:00:00Z", assertThrows(JoinToken.Invalid.class,
                () -> JoinToken.validate(text, ca.issued().certificate(), NOW.plus(Duration.ofHours(25))))
                .getMessage());
        assertEquals("not a join secret (expected what pghactl host add printed, pgha-join-...)",
                assertThrows(JoinToken.Invalid.class, () -> JoinToken.validate("hunter2", ca.issued().certificate(),
                        NOW)).getMessage());
        String edited = JoinToken.PREFIX + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                "pgha-join-v1|demo|admin|10.0.1.1|9999999999|00".getBytes()) + text.substring(text.indexOf('.'));
        assertEquals("a join secret the cluster CA did not sign", assertThrows(JoinToken.Invalid.class,
                () -> JoinToken.validate(edited, ca.issued().certificate(), NOW)).getMessage());
    }
}
