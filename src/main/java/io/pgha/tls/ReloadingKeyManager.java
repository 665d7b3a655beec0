package io.pgha.tls;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Presents one certificate and key from files, read again at the next handshake after either file changed: a client
 * built once (the etcd client, an HTTP client) goes on working across a certificate renewal. A changed file that
 * cannot be read keeps the last good pair and logs why once.
 */
public final class ReloadingKeyManager extends X509ExtendedKeyManager {
    private static final Logger log = LoggerFactory.getLogger(ReloadingKeyManager.class);
    private static final String ALIAS = "self";

    private record Loaded(FileTime certTime, FileTime keyTime, PrivateKey key, X509Certificate[] chain) {
    }

    private final TlsFiles files;
    private volatile Loaded loaded;

    ReloadingKeyManager(TlsFiles files) throws IOException {
        this.files = files;
        this.loaded = load();
    }

    private Loaded load() throws IOException {
        X509Certificate ca = files.caCertificate();
        X509Certificate own = Pem.readCertificate(TlsFiles.read(files.certificate(), "a certificate"),
                files.certificate().toString());
        PrivateKey key = Pem.readPrivateKey(TlsFiles.read(files.key(), "a private key"), files.key().toString());
        FileTime certTime = Files.getLastModifiedTime(files.certificate());
        FileTime keyTime = Files.getLastModifiedTime(files.key());
        try {
            own.verify(ca.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new IOException(files.certificate() + ": not signed by the cluster CA in " + files.ca(), e);
        }
        if (own.getNotAfter().toInstant().isBefore(Instant.now())) {
            throw new IOException(files.certificate() + ": expired on " + own.getNotAfter().toInstant());
        }
        if (!belongTogether(key, own)) {
            throw new IOException(files.key() + ": is not the key of " + files.certificate());
        }
        return new Loaded(certTime, keyTime, key, new X509Certificate[] {own, ca});
    }

    /** A PKCS#8 key need not carry its public half: sign a probe with the key, verify it with the certificate. */
    private static boolean belongTogether(PrivateKey key, X509Certificate own) throws IOException {
        try {
            String algorithm = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
            byte[] probe = "pgha".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            java.security.Signature signer = java.security.Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            java.security.Signature verifier = java.security.Signature.getInstance(algorithm);
            verifier.initVerify(own.getPublicKey());
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot use the key: " + e.getMessage(), e);
        }
    }

    private Loaded current() {
        Loaded now = loaded;
        try {
            if (!Files.getLastModifiedTime(files.certificate()).equals(now.certTime())
                    || !Files.getLastModifiedTime(files.key()).equals(now.keyTime())) {
                Loaded fresh = load();
                loaded = fresh;
                return fresh;
            }
        } catch (IOException e) {
            log.warn("keeping the certificate loaded before: {}", e.getMessage());
        }
        return now;
    }

    /** The certificate presented now. */
    public X509Certificate certificate() {
        return current().chain()[0];
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return new String[] {ALIAS};
    }

    // A handshake chooses an alias first, then asks for chain and key: files are re-read only at the choice, so
    // the two answers always belong together.

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        current();
        return ALIAS;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        current();
        return ALIAS;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return new String[] {ALIAS};
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        current();
        return ALIAS;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        current();
        return ALIAS;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return loaded.chain().clone();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return loaded.key();
    }
}
