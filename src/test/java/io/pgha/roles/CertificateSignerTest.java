package io.pgha.roles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.model.AgentConfig;
import io.pgha.model.AgentConfigTest;
import io.pgha.model.CertificateOrder;
import io.pgha.model.ClusterSpec;
import io.pgha.model.ClusterSpecParser;
import io.pgha.model.TestSpecs;
import io.pgha.tls.ClusterCa;
import io.pgha.tls.IssuedCertificate;
import io.pgha.tls.JoinToken;
import io.pgha.tls.Pem;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CertificateSignerTest {
    private static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");
    private final SecureRandom random = new SecureRandom();
    private final ClusterCa ca = ClusterCa.create("demo", random, NOW);
    private final CertificateSigner signer = new CertificateSigner("demo", ca, Duration.ofDays(90));
    private final Optional<ClusterSpec> spec;
    private final String secret = JoinToken.issue(ca, "demo", "pg1", "10.0.1.1", Duration.ofHours(1), NOW, random);
    private final Map<String, KeyPair> keys = new LinkedHashMap<>();

    CertificateSignerTest() throws Exception {
        spec = Optional.of(new ClusterSpecParser(AgentConfig.parse(AgentConfigTest.MINIMAL, "agent.yml"))
                .parse(TestSpecs.GUIDE_HOSTS, "cluster.yml"));
        HostCertificateRequests.PURPOSES.forEach(p -> keys.put(p, ClusterCa.newKeyPair(random)));
    }

    private CertificateOrder order(String host, String address, String secret) {
        Map<String, String> spki = new LinkedHashMap<>();
        keys.forEach((p, k) -> spki.put(p, Base64.getEncoder().encodeToString(k.getPublic().getEncoded())));
        return new CertificateOrder(host, address, secret, spki);
    }

    private String refusal(CertificateSigner.Outcome outcome) {
        return assertInstanceOf(CertificateSigner.Refused.class, outcome).reason();
    }

    /** A first order from {@code peer}, at NOW, nobody revoked. */
    private CertificateSigner.Outcome enroll(CertificateOrder order, String peer) {
        return signer.enroll(order, peer, Set.of(), spec, NOW);
    }

    @Test
    void aJoinSecretGetsCertificatesThatSayWhatTheSpecSaysForTheKeysSent() throws Exception {
        CertificateSigner.Issued issued = assertInstanceOf(CertificateSigner.Issued.class,
                enroll(order("pg1", "10.0.1.1", secret), "10.0.1.1"));
        Map<String, String> pems = issued.certificates();
        assertEquals(HostCertificateRequests.PURPOSES, pems.keySet().stream().toList());
        for (String purpose : HostCertificateRequests.PURPOSES) {
            X509Certificate c = Pem.readCertificate(pems.get(purpose), purpose);
            assertTrue(ca.signed(c), purpose);
            assertEquals(keys.get(purpose).getPublic(), c.getPublicKey(), purpose + ": the key the host sent");
            assertTrue(IssuedCertificate.subjectAlternativeNames(c).contains("10.0.1.1"), purpose);
            assertEquals(NOW.plus(Duration.ofDays(90)), c.getNotAfter().toInstant(), purpose);
        }
        assertEquals("CN=agent-pg1,O=pgha", Pem.readCertificate(pems.get("agent"), "agent")
                .getSubjectX500Principal().getName());
        assertEquals("O=pgha", Pem.readCertificate(pems.get("service"), "service")
                .getSubjectX500Principal().getName());
        assertEquals("pg1", issued.token().orElseThrow().host(), "the token to record as used");
    }

    @Test
    void aFirstOrderIsRefusedWithoutAValidUnexpiredSecretForThatHostAndAddressFromThatAddress() {
        assertEquals("pg1: a join secret the cluster CA did not sign", refusal(enroll(order("pg1", "10.0.1.1",
                secret.substring(0, secret.length() - 4) + "AAAA"), "10.0.1.1")));
        ClusterCa other = ClusterCa.create("demo", random, NOW);
        assertEquals("pg1: a join secret the cluster CA did not sign", refusal(enroll(order("pg1", "10.0.1.1",
                JoinToken.issue(other, "demo", "pg1", "10.0.1.1", Duration.ofHours(1), NOW, random)), "10.0.1.1")));
        assertTrue(refusal(signer.enroll(order("pg1", "10.0.1.1", secret), "10.0.1.1", Set.of(), spec,
                NOW.plus(Duration.ofHours(2)))).startsWith("pg1: a join secret that expired at "));
        assertTrue(refusal(enroll(order("pg1", "10.0.1.1", ""), "10.0.1.1"))
                .startsWith("pg1: a first certificate needs the join secret"));
        assertEquals("pg1: the order came from 10.0.2.1, not from its address 10.0.1.1",
                refusal(enroll(order("pg1", "10.0.1.1", secret), "10.0.2.1")));
        assertEquals("pg2: its join secret is for pg1 at 10.0.1.1 of cluster demo, the order is for pg2 at 10.0.1.2"
                + " of demo", refusal(enroll(order("pg2", "10.0.1.2", secret), "10.0.1.2")));
        assertEquals("pg1: revoked (pghactl host revoke); a host rebuilt takes a new name", refusal(signer.enroll(
                order("pg1", "10.0.1.1", secret), "10.0.1.1", Set.of("pg1"), spec, NOW)));
    }

    @Test
    void anOrderForANameOrAddressTheSpecDoesNotGiveIsRefused() {
        String forAdmin = JoinToken.issue(ca, "demo", "admin", "10.0.1.1", Duration.ofHours(1), NOW, random);
        assertEquals("admin: not a host of the spec", refusal(enroll(order("admin", "10.0.1.1", forAdmin),
                "10.0.1.1")));
        String elsewhere = JoinToken.issue(ca, "demo", "pg2", "10.0.1.1", Duration.ofHours(1), NOW, random);
        assertEquals("pg2: the spec has it at 10.0.1.2, the order says 10.0.1.1", refusal(enroll(
                order("pg2", "10.0.1.1", elsewhere), "10.0.1.1")));
        assertTrue(refusal(signer.enroll(order("pg1", "10.0.1.1", secret), "10.0.1.1", Set.of(), Optional.empty(),
                NOW)).startsWith("pg1: no spec yet"));
        // Each of these a later spec may allow (the etcd host's agent holds such an order for one); no other refusal.
        for (CertificateSigner.Outcome o : java.util.List.of(enroll(order("admin", "10.0.1.1", forAdmin), "10.0.1.1"),
                enroll(order("pg2", "10.0.1.1", elsewhere), "10.0.1.1"), signer.enroll(order("pg1", "10.0.1.1", secret),
                        "10.0.1.1", Set.of(), Optional.empty(), NOW))) {
            assertTrue(assertInstanceOf(CertificateSigner.Refused.class, o).awaitsSpec(), o.toString());
        }
        for (CertificateSigner.Outcome o : java.util.List.of(enroll(order("pg1", "10.0.1.1", secret), "10.0.2.1"),
                enroll(order("pg1", "10.0.1.1", ""), "10.0.1.1"), signer.enroll(order("pg1", "10.0.1.1", secret),
                        "10.0.1.1", Set.of("pg1"), spec, NOW))) {
            assertFalse(assertInstanceOf(CertificateSigner.Refused.class, o).awaitsSpec(), o.toString());
        }
    }

    @Test
    void keysMustBeOneP256KeyForEachPurpose() throws Exception {
        CertificateOrder full = order("pg1", "10.0.1.1", secret);
        Map<String, String> three = new LinkedHashMap<>(full.keys());
        three.remove("pooler");
        assertEquals("pg1: expected one key for each of [agent, service, backup, pooler], found [agent, backup,"
                + " service]", refusal(enroll(new CertificateOrder("pg1", "10.0.1.1", secret, three), "10.0.1.1")));
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        Map<String, String> withRsa = new LinkedHashMap<>(full.keys());
        withRsa.put("backup", Base64.getEncoder().encodeToString(rsa.generateKeyPair().getPublic().getEncoded()));
        assertEquals("pg1: keys.backup: expected an EC P-256 public key (X.509 SubjectPublicKeyInfo, base64)",
                refusal(enroll(new CertificateOrder("pg1", "10.0.1.1", secret, withRsa), "10.0.1.1")));
    }

    @Test
    void aRenewalNeedsTheHostsOwnAgentCertificateAndAHostNotRevoked() {
        CertificateOrder renewal = order("pg1", "10.0.1.1", "");
        CertificateSigner.Issued issued = assertInstanceOf(CertificateSigner.Issued.class,
                signer.renew(renewal, "agent-pg1", Set.of(), spec, NOW));
        assertTrue(issued.token().isEmpty());
        assertEquals("pg1: a renewal comes with the host's own agent certificate (agent-pg1), found agent-lb1",
                refusal(signer.renew(renewal, "agent-lb1", Set.of(), spec, NOW)));
        assertEquals("pg1: revoked (pghactl host revoke), its certificates are not renewed",
                refusal(signer.renew(renewal, "agent-pg1", Set.of("pg1"), spec, NOW)));
    }
}
