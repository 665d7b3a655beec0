package io.pgha.tls;

import java.security.PrivateKey;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** A certificate with its private key. {@link #toString()} never shows the key. */
public record IssuedCertificate(X509Certificate certificate, PrivateKey key) {

    public String certificatePem() {
        return Pem.certificate(certificate);
    }

    public String keyPem() {
        return Pem.privateKey(key);
    }

    public Instant notAfter() {
        return certificate.getNotAfter().toInstant();
    }

    /**
     * True once two thirds of its lifetime have passed: renewal then has a third of the lifetime (30 days of 90) to
     * succeed before anything breaks.
     */
    public static boolean dueForRenewal(X509Certificate certificate, Instant now) {
        Instant from = certificate.getNotBefore().toInstant();
        Instant to = certificate.getNotAfter().toInstant();
        Duration lifetime = Duration.between(from, to);
        return !now.isBefore(from.plus(lifetime.multipliedBy(2).dividedBy(3)));
    }

    /** The certificate's DNS names and IP addresses, in the order it lists them. */
    public static List<String> subjectAlternativeNames(X509Certificate certificate) {
        List<String> out = new ArrayList<>();
        try {
            Collection<List<?>> names = certificate.getSubjectAlternativeNames();
            if (names != null) {
                names.forEach(entry -> out.add(String.valueOf(entry.get(1))));
            }
        } catch (CertificateParsingException e) {
            return List.of();
        }
        return out;
    }

    @Override
    public String toString() {
        return "IssuedCertificate[" + certificate.getSubjectX500Principal() + ", until " + notAfter() + "]";
    }
}
