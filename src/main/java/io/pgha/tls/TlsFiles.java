package io.pgha.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * One TLS identity as files: the cluster CA certificate to trust, and a certificate with its key to present (a
 * host's, or the admin's for pghactl). Every error names the file and what was expected of it.
 */
public record TlsFiles(Path ca, Path certificate, Path key) {

    public X509Certificate caCertificate() throws IOException {
        return Pem.readCertificate(read(ca, "the cluster CA certificate"), ca.toString());
    }

    /** Trusts exactly the cluster CA. */
    public X509TrustManager trustManager() throws IOException {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", caCertificate());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            for (TrustManager m : tmf.getTrustManagers()) {
                if (m instanceof X509TrustManager x509) {
                    return x509;
                }
            }
            throw new IOException("no X.509 trust manager in this Java runtime");
        } catch (GeneralSecurityException e) {
            throw new IOException(ca + ": cannot be trusted as a CA: " + e.getMessage(), e);
        }
    }

    /** Presents this identity, re-read whenever the files change (a renewed host certificate needs no restart). */
    public ReloadingKeyManager keyManager() throws IOException {
        return new ReloadingKeyManager(this);
    }

    /** A TLS context for Java's own clients (HTTP): the cluster CA, this identity. */
    public SSLContext sslContext() throws IOException {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(new javax.net.ssl.KeyManager[] {keyManager()}, new TrustManager[] {trustManager()}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("TLS with " + certificate + " and " + ca + ": " + e.getMessage(), e);
        }
    }

    /** A TLS context that checks the server against the cluster CA and presents nothing: a host with no certificate. */
    public SSLContext anonymousSslContext() throws IOException {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(new javax.net.ssl.KeyManager[0], new TrustManager[] {trustManager()}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("TLS with " + ca + ": " + e.getMessage(), e);
        }
    }

    /** A PEM file's text; {@code what} says, when it is missing, what was expected there. */
    public static String read(Path file, String what) throws IOException {
        try {
            return Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": missing (expected " + what + " in PEM form)", e);
        } catch (IOException e) {
            throw new IOException(file + ": unreadable (" + e.getMessage() + ")", e);
        }
    }
}
