package io.pgha.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;

/**
 * PEM text to and from certificates and private keys (keys as PKCS#8, which every program here reads), with the JDK
 * alone. A key in an older format (BEGIN EC PRIVATE KEY, BEGIN RSA PRIVATE KEY), which pgha never writes, is refused
 * with the command that converts it.
 */
public final class Pem {
    private static final String CERTIFICATE = "CERTIFICATE";
    private static final String PRIVATE_KEY = "PRIVATE KEY";
    private static final List<String> KEY_ALGORITHMS = List.of("EC", "RSA", "Ed25519");

    private Pem() {
    }

    public static String certificate(X509Certificate certificate) {
        try {
            return block(CERTIFICATE, certificate.getEncoded());
        } catch (CertificateException e) {
            throw new IllegalStateException("a certificate made here always encodes", e);
        }
    }

    public static String privateKey(PrivateKey key) {
        if (!"PKCS#8".equals(key.getFormat())) {
            throw new IllegalStateException("expected a key that encodes as PKCS#8, found " + key.getFormat());
        }
        return block(PRIVATE_KEY, key.getEncoded());
    }

    /** The first certificate in {@code text}; {@code source} names it in the error. */
    public static X509Certificate readCertificate(String text, String source) throws IOException {
        Block b = firstBlock(text, source);
        if (!b.type().equals(CERTIFICATE)) {
            throw new IOException(source + ": expected a PEM certificate (BEGIN CERTIFICATE), found BEGIN "
                    + b.type());
        }
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(b.der()));
        } catch (CertificateException e) {
            throw new IOException(source + ": unreadable certificate: " + e.getMessage(), e);
        }
    }

    public static PrivateKey readPrivateKey(String text, String source) throws IOException {
        Block b = firstBlock(text, source);
        if (!b.type().equals(PRIVATE_KEY)) {
            throw new IOException(source + ": expected a PKCS#8 private key (BEGIN PRIVATE KEY), found BEGIN "
                    + b.type() + " (openssl pkcs8 -topk8 -nocrypt converts one)");
        }
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(b.der());
        for (String algorithm : KEY_ALGORITHMS) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException e) {
                // not this algorithm's key: the next
            }
        }
        throw new IOException(source + ": a PKCS#8 private key of none of " + KEY_ALGORITHMS);
    }

    /** A PEM block's type (CERTIFICATE, PRIVATE KEY, ...) and its decoded content. */
    private record Block(String type, byte[] der) {
    }

    private static Block firstBlock(String text, String source) throws IOException {
        int begin = text.indexOf("-----BEGIN ");
        if (begin < 0) {
            throw new IOException(source + ": no PEM block in the file");
        }
        int typeEnd = text.indexOf("-----", begin + 11);
        if (typeEnd < 0) {
            throw new IOException(source + ": not readable as PEM: a BEGIN line without its closing dashes");
        }
        String type = text.substring(begin + 11, typeEnd);
        String end = "-----END " + type + "-----";
        int endAt = text.indexOf(end, typeEnd);
        if (endAt < 0) {
            throw new IOException(source + ": not readable as PEM: " + end + " missing");
        }
        String body = text.substring(typeEnd + 5, endAt);
        if (body.contains(":")) {
            // Headers (Proc-Type, DEK-Info): an encrypted key, which nothing here writes.
            return new Block(type + " with headers", new byte[0]);
        }
        try {
            return new Block(type, Base64.getMimeDecoder().decode(body.strip()));
        } catch (IllegalArgumentException e) {
            throw new IOException(source + ": not readable as PEM: " + e.getMessage(), e);
        }
    }

    private static String block(String type, byte[] der) {
        String base64 = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + base64 + "\n-----END " + type + "-----\n";
    }
}
