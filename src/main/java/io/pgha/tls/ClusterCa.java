package io.pgha.tls;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The cluster's certificate authority: made once by {@code pghactl init}, copied to every host, and used by each
 * agent to issue its own host certificate. Keys are ECDSA P-256, which etcd (Go), PostgreSQL and HAProxy (OpenSSL),
 * Patroni (Python's ssl) and Java all speak.
 */
public final class ClusterCa {
    /** Long enough never to expire under a running cluster; host certificates are the short-lived ones. */
    public static final Duration CA_LIFETIME = Duration.ofDays(3650);
    private static final String SIGNATURE = "SHA256withECDSA";
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
        X500Name name = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "pgha")
                .addRDN(BCStyle.CN, "pgha cluster " + cluster + " CA").build();
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial(random),
                    Date.from(now.minus(BACKDATE)), Date.from(now.plus(CA_LIFETIME)), name, keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            utils.createSubjectKeyIdentifier(keys.getPublic()));
            return new ClusterCa(new IssuedCertificate(sign(builder, keys.getPrivate()), keys.getPrivate()), random);
        } catch (GeneralSecurityException | CertIOException e) {
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
        X500NameBuilder subjectBuilder = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "pgha");
        if (!request.commonName().isEmpty()) {
            subjectBuilder.addRDN(BCStyle.CN, request.commonName());
        }
        X500Name subject = subjectBuilder.build();
        List<GeneralName> names = new ArrayList<>();
        request.dnsNames().forEach(n -> names.add(new GeneralName(GeneralName.dNSName, n)));
        request.ipAddresses().forEach(a -> names.add(new GeneralName(GeneralName.iPAddress, a)));
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(ca.certificate(), serial(random),
                    Date.from(now.minus(backdate(request.lifetime()))), Date.from(now.plus(request.lifetime())), subject,
                    keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false,
                            new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth,
                                    KeyPurposeId.id_kp_clientAuth}))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            utils.createSubjectKeyIdentifier(keys.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false,
                            utils.createAuthorityKeyIdentifier(ca.certificate()));
            if (!names.isEmpty()) {
                builder.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(names.toArray(GeneralName[]::new)));
            }
            return new IssuedCertificate(sign(builder, ca.key()), keys.getPrivate());
        } catch (GeneralSecurityException | CertIOException e) {
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

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key)
            throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder(SIGNATURE).build(key)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e.getMessage(), e);
        }
    }

    private static KeyPair newKeyPair(SecureRandom random) {
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
