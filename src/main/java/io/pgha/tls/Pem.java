package io.pgha.tls;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;

/** PEM text to and from certificates and private keys (keys as PKCS#8, which every program here reads). */
public final class Pem {
    private Pem() {
    }

    public static String certificate(X509Certificate certificate) {
        return write(certificate);
    }

    public static String privateKey(PrivateKey key) {
        try {
            return write(new JcaPKCS8Generator(key, null).generate());
        } catch (org.bouncycastle.util.io.pem.PemGenerationException e) {
            throw new IllegalStateException("a private key always encodes as PKCS#8", e);
        }
    }

    /** The first certificate in {@code text}; {@code source} names it in the error. */
    public static X509Certificate readCertificate(String text, String source) throws IOException {
        Object object = readObject(text, source);
        if (!(object instanceof X509CertificateHolder holder)) {
            throw new IOException(source + ": expected a PEM certificate (BEGIN CERTIFICATE), found "
                    + describe(object));
        }
        try {
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (CertificateException e) {
            throw new IOException(source + ": unreadable certificate: " + e.getMessage(), e);
        }
    }

    public static PrivateKey readPrivateKey(String text, String source) throws IOException {
        Object object = readObject(text, source);
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        if (object instanceof PrivateKeyInfo info) {
            return converter.getPrivateKey(info);
        }
        if (object instanceof PEMKeyPair pair) {
            KeyPair keys = converter.getKeyPair(pair);
            return keys.getPrivate();
        }
        throw new IOException(source + ": expected a PEM private key (BEGIN PRIVATE KEY), found " + describe(object));
    }

    private static Object readObject(String text, String source) throws IOException {
        try (PEMParser parser = new PEMParser(new StringReader(text))) {
            Object object = parser.readObject();
            if (object == null) {
                throw new IOException(source + ": no PEM block in the file");
            }
            return object;
        } catch (IOException | RuntimeException e) {
            if (e instanceof IOException io && io.getMessage() != null && io.getMessage().startsWith(source)) {
                throw io;
            }
            throw new IOException(source + ": not readable as PEM: " + e.getMessage(), e);
        }
    }

    private static String describe(Object object) {
        return object == null ? "nothing" : "a " + object.getClass().getSimpleName();
    }

    private static String write(Object object) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(object);
        } catch (IOException e) {
            throw new IllegalStateException("writing PEM to a string cannot fail", e);
        }
        return out.toString();
    }
}
