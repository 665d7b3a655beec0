package io.pgha.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The cluster's certificate authority: made once by {@code pghactl init}, copied to every host, and used by each
 * agent to issue its own host certificate. Keys are ECDSA P-256, which etcd (Go), PostgreSQL and HAProxy (OpenSSL),
 * Patroni (Python's ssl) and Java all speak.
 */
public final class ClusterCa {
    /** Long enough never to expire under a running cluster; host certificates are the short-lived ones. */
    public static final Duration CA_LIFETIME = Duration.ofDays(3650);
    private static final String SIGNATURE = "SHA256withECDSA";
    private static final byte[] ECDSA_SHA256 = Der.sequence(Der.oid("1.2.840.10045.4.3.2"));
    private static final String ORGANISATION = "2.5.4.10";
    private static final String COMMON_NAME = "2.5.4.3";
    private static final String SUBJECT_KEY_ID = "2.5.29.14";
    private static final String KEY_USAGE = "2.5.29.15";
    private static final String SUBJECT_ALT_NAME = "2.5.29.17";
    private static final String BASIC_CONSTRAINTS = "2.5.29.19";
    private static final String AUTHORITY_KEY_ID = "2.5.29.35";
    private static final String EXTENDED_KEY_USAGE = "2.5.29.37";
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    /** keyCertSign (bit 5) and cRLSign (bit 6): 0000011, the last bit of the byte unused. */
    private static final byte[] KEY_CERT_SIGN_AND_CRL_SIGN = Der.bits(new byte[] {0x06}, 1);
    /** digitalSignature (bit 0) alone: the other seven bits unused. */
    private static final byte[] DIGITAL_SIGNATURE = Der.bits(new byte[] {(byte) 0x80}, 7);
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    /**
     * Clocks of a fresh host may run a little behind the one that issued: valid from a little earlier (5 minutes, or a
     * tenth of a short lifetime, so that the renewal point stays where the lifetime puts it).
     */
    private static final Duration BACKDATE = Duration.ofMinutes(5);

    private final IssuedCertificate ca;
    private final SecureRandom random;

    public ClusterCa(IssuedCertificate ca, SecureRandom random) {
        this.ca = ca;
        this.random = random;
    }

    public X509Certificate certificate() {
        return ca.certificate();
    }

    public IssuedCertificate issued() {
        return ca;
    }

    /** A new CA for {@code cluster}, valid from now for {@link #CA_LIFETIME}. */
    public static ClusterCa create(String cluster, SecureRandom random, Instant now) {
        KeyPair keys = newKeyPair(random);
        byte[] name = name("pgha cluster " + cluster + " CA");
        List<byte[]> extensions = List.of(
                extension(BASIC_CONSTRAINTS, true, Der.sequence(Der.bool(true), Der.integer(BigInteger.ZERO))),
                extension(KEY_USAGE, true, KEY_CERT_SIGN_AND_CRL_SIGN),
                extension(SUBJECT_KEY_ID, false, Der.octets(keyIdentifier(keys.getPublic()))));
        try {
            byte[] tbs = tbs(serial(random), name, now.minus(BACKDATE), now.plus(CA_LIFETIME), name,
                    keys.getPublic(), extensions);
            return new ClusterCa(new IssuedCertificate(sign(tbs, keys.getPrivate()), keys.getPrivate()), random);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("creating a CA certificate failed: " + e.getMessage(), e);
        }
    }

    /** The CA from its two PEM files' contents; {@code source} names them in errors. */
    public static ClusterCa load(String certificatePem, String keyPem, String source, SecureRandom random)
            throws IOException {
        X509Certificate certificate = Pem.readCertificate(certificatePem, source + " (certificate)");
        PrivateKey key = Pem.readPrivateKey(keyPem, source + " (key)");
        if (certificate.getBasicConstraints() < 0) {
            throw new IOException(source + ": expected a CA certificate, found one for "
                    + certificate.getSubjectX500Principal().getName());
        }
        return new ClusterCa(new IssuedCertificate(certificate, key), random);
    }

    /** A certificate for both TLS ends (server and client), signed by this CA, with a new key. */
    public IssuedCertificate issue(CertificateRequest request, Instant now) {
        KeyPair keys = newKeyPair(random);
        return new IssuedCertificate(certify(request, keys.getPublic(), now), keys.getPrivate());
    }

    /**
     * A certificate for both TLS ends for a key that another host made and keeps: what it says comes from
     * {@code request} alone, which the caller builds from what it knows of that host, never from what the host asked.
     */
    public X509Certificate certify(CertificateRequest request, PublicKey key, Instant now) {
        List<byte[]> names = new ArrayList<>();
        request.dnsNames().forEach(n -> names.add(Der.implicit(2, n.getBytes(StandardCharsets.US_ASCII))));
        request.ipAddresses().forEach(a -> names.add(Der.implicit(7, ipAddress(a))));
        List<byte[]> extensions = new ArrayList<>(List.of(
                extension(BASIC_CONSTRAINTS, true, Der.sequence()),
                extension(KEY_USAGE, true, DIGITAL_SIGNATURE),
                extension(EXTENDED_KEY_USAGE, false, Der.sequence(Der.oid(SERVER_AUTH), Der.oid(CLIENT_AUTH))),
                extension(SUBJECT_KEY_ID, false, Der.octets(keyIdentifier(key))),
                extension(AUTHORITY_KEY_ID, false, Der.sequence(Der.implicit(0, authorityKeyIdentifier())))));
        if (!names.isEmpty()) {
            extensions.add(extension(SUBJECT_ALT_NAME, false, Der.sequence(names.toArray(byte[][]::new))));
        }
        try {
            byte[] tbs = tbs(serial(random), ca.certificate().getSubjectX500Principal().getEncoded(),
                    now.minus(backdate(request.lifetime())), now.plus(request.lifetime()), name(request.commonName()),
                    key, extensions);
            return sign(tbs, ca.key());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("issuing a certificate for " + request.commonName() + " failed: "
                    + e.getMessage(), e);
        }
    }

    private static Duration backdate(Duration lifetime) {
        Duration tenth = lifetime.dividedBy(10);
        return tenth.compareTo(BACKDATE) < 0 ? tenth : BACKDATE;
    }

    /** True when {@code certificate} was signed by this CA's key. */
    public boolean signed(X509Certificate certificate) {
        try {
            certificate.verify(ca.certificate().getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** O=pgha, then CN={@code commonName} unless it is empty (etcd refuses a CN on its gateway's certificate). */
    private static byte[] name(String commonName) {
        byte[] organisation = Der.set(Der.sequence(Der.oid(ORGANISATION), Der.utf8("pgha")));
        return commonName.isEmpty() ? Der.sequence(organisation)
                : Der.sequence(organisation, Der.set(Der.sequence(Der.oid(COMMON_NAME), Der.utf8(commonName))));
    }

    /** An X.509 v3 TBSCertificate (RFC 5280, 4.1) with the extensions given, signed with ECDSA and SHA-256. */
    private static byte[] tbs(BigInteger serial, byte[] issuer, Instant notBefore, Instant notAfter, byte[] subject,
                              PublicKey key, List<byte[]> extensions) {
        return Der.sequence(Der.explicit(0, Der.integer(BigInteger.TWO)), Der.integer(serial), ECDSA_SHA256, issuer,
                Der.sequence(Der.time(notBefore), Der.time(notAfter)), subject, key.getEncoded(),
                Der.explicit(3, Der.sequence(extensions.toArray(byte[][]::new))));
    }

    private static byte[] extension(String oid, boolean critical, byte[] value) {
        return critical ? Der.sequence(Der.oid(oid), Der.bool(true), Der.octets(value))
                : Der.sequence(Der.oid(oid), Der.octets(value));
    }

    /** {@code data} signed with the CA's key (ECDSA, SHA-256): for a join token, which ca.crt then verifies. */
    byte[] signature(byte[] data) {
        try {
            Signature signer = Signature.getInstance(SIGNATURE);
            signer.initSign(ca.key());
            signer.update(data);
            return signer.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("signing with the CA key failed: " + e.getMessage(), e);
        }
    }

    private static X509Certificate sign(byte[] tbs, PrivateKey key) throws GeneralSecurityException {
        Signature signer = Signature.getInstance(SIGNATURE);
        signer.initSign(key);
        signer.update(tbs);
        byte[] certificate = Der.sequence(tbs, ECDSA_SHA256, Der.bits(signer.sign(), 0));
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(certificate));
    }

    /** The SHA-1 of the key's bits (RFC 5280, 4.2.1.2, method 1), as BouncyCastle computed it before. */
    private static byte[] keyIdentifier(PublicKey key) {
        try {
            return MessageDigest.getInstance("SHA-1").digest(Der.publicKeyBits(key.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every Java runtime has SHA-1", e);
        }
    }

    /** The CA's own subject key identifier, or the one its key gives where the certificate has none. */
    private byte[] authorityKeyIdentifier() {
        byte[] extension = ca.certificate().getExtensionValue(SUBJECT_KEY_ID);
        return extension == null ? keyIdentifier(ca.certificate().getPublicKey())
                : Der.octetsContent(Der.octetsContent(extension));
    }

    /** An IP address's octets, from its literal only: a host name here would mean a DNS lookup. */
    private static byte[] ipAddress(String literal) {
        if (!IPV4.matcher(literal).matches() && !literal.contains(":")) {
            throw new IllegalArgumentException("expected an IP address for a certificate, found '" + literal + "'");
        }
        try {
            return InetAddress.getByName(literal).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("expected an IP address for a certificate, found '" + literal + "'", e);
        }
    }

    /** A new key pair of the kind this CA issues for (P-256), also for a host that asks for its certificate. */
    public static KeyPair newKeyPair(SecureRandom random) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), random);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every Java 17 runtime has EC P-256: " + e.getMessage(), e);
        }
    }

    /** 127 random bits: positive, unique in practice, as RFC 5280 asks (at most 20 octets). */
    private static BigInteger serial(SecureRandom random) {
        return new BigInteger(127, random).add(BigInteger.ONE);
    }
}
