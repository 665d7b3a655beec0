package io.pgha.roles;

import io.pgha.backup.PgBackRestConfig;
import io.pgha.model.AgentConfig;
import io.pgha.model.HostIdentity;
import io.pgha.model.HostPaths;
import io.pgha.postgres.PoolerAuth;
import io.pgha.resources.DirectoryResource;
import io.pgha.resources.FileResource;
import io.pgha.resources.Owner;
import io.pgha.resources.Result;
import io.pgha.resources.Status;
import io.pgha.tls.CertificateRequest;
import io.pgha.tls.ClusterCa;
import io.pgha.tls.IssuedCertificate;
import io.pgha.tls.Pem;
import io.pgha.tls.TlsFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This host's certificates, issued by the agent itself from the cluster CA (ca.crt + ca.key next to agent.yml) with
 * the host's name and address as subject alternative names, and issued again once two thirds of their lifetime have
 * passed, when the CA changed, or when the host's name or address did. Two of them: the agent's, whose common name
 * ({@code agent-HOST}) is its etcd user, and the programs' (etcd, Patroni, PostgreSQL, HAProxy), which has no common
 * name: etcd refuses a certificate with one on its JSON gateway, which Patroni uses (Patroni logs in with a
 * password instead). A third is pgBackRest's: its TLS server lets a peer in by the common name
 * ({@code pgbackrest-HOST}, which etcd has no user for), and its client (2.45) matches only DNS names, so the
 * addresses are DNS names in it too. A fourth is PgBouncer's, its client certificate to PostgreSQL
 * ({@code pooler-HOST}), which lets the pooler's auth user in without a password. Keys are root's alone (0600);
 * each program gets its own copy through its role.
 */
public final class HostCertificate {
    private static final Logger log = LoggerFactory.getLogger(HostCertificate.class);
    private static final String CA_CERTIFICATE = "the cluster CA certificate (from pghactl init)";

    /** The certificate as the roles need it: PEM texts, never logged. */
    public record Material(String caPem, String certificatePem, String keyPem, String serviceCertificatePem,
                           String serviceKeyPem, String backupCertificatePem, String backupKeyPem,
                           String poolerCertificatePem, String poolerKeyPem, Instant notAfter) {
        @Override
        public String toString() {
            return "HostCertificate.Material[until " + notAfter + "]";
        }
    }

    private final AgentConfig config;
    private final HostIdentity identity;
    private final Path dir;
    private final SecureRandom random;
    private volatile Material material;
    private volatile javax.net.ssl.SSLContext sslContext;

    public HostCertificate(AgentConfig config, HostIdentity identity, HostPaths paths, SecureRandom random) {
        this.config = config;
        this.identity = identity;
        this.dir = paths.stateDir().resolve("tls");
        this.random = random;
    }

    /** The etcd user name an agent's certificate stands for. */
    public static String agentUser(String host) {
        return "agent-" + host;
    }

    public TlsFiles files() {
        return new TlsFiles(config.caCertificate(), dir.resolve("host.crt"), dir.resolve("host.key"));
    }

    /** One TLS context for this host's HTTP clients; it follows renewals (the key manager re-reads the files). */
    public javax.net.ssl.SSLContext sslContext() throws IOException {
        javax.net.ssl.SSLContext context = sslContext;
        if (context == null) {
            context = files().sslContext();
            sslContext = context;
        }
        return context;
    }

    public Material material() {
        Material m = material;
        if (m == null) {
            throw new IllegalStateException("ensure() must run before the host certificate is used");
        }
        return m;
    }

    /** The certificate the agent issued, read without issuing one (for pghactl plan, which changes nothing). */
    public void loadExisting() throws IOException {
        TlsFiles files = files();
        if (!Files.exists(files.certificate())) {
            throw new IOException(files.certificate() + ": missing (this host's agent issues it when it starts)");
        }
        String certificatePem = Files.readString(files.certificate());
        X509Certificate onDisk = Pem.readCertificate(certificatePem, files.certificate().toString());
        material = new Material(TlsFiles.read(config.caCertificate(), CA_CERTIFICATE), certificatePem,
                TlsFiles.read(files.key(), "this host's key"),
                TlsFiles.read(dir.resolve("service.crt"), "this host's programs' certificate"),
                TlsFiles.read(dir.resolve("service.key"), "this host's programs' key"),
                TlsFiles.read(dir.resolve("backup.crt"), "this host's pgBackRest certificate"),
                TlsFiles.read(dir.resolve("backup.key"), "this host's pgBackRest key"),
                TlsFiles.read(dir.resolve("pooler.crt"), "this host's pooler certificate"),
                TlsFiles.read(dir.resolve("pooler.key"), "this host's pooler key"),
                onDisk.getNotAfter().toInstant());
    }

    /**
     * Makes sure a valid certificate is on disk and in memory; true when it issued a new one. Fails, naming the file,
     * when the CA files are missing or unreadable.
     */
    public boolean ensure(Instant now) throws IOException {
        String caPem = TlsFiles.read(config.caCertificate(), CA_CERTIFICATE);
        TlsFiles files = files();
        if (material == null && Files.exists(files.certificate()) && Files.exists(files.key())
                && Files.exists(dir.resolve("service.crt")) && Files.exists(dir.resolve("service.key"))) {
            // An agent from before pgBackRest's or the pooler's certificate: only those are added, so that etcd,
            // Patroni and HAProxy keep theirs (a new one would restart every etcd member once).
            addIfMissing("backup", () -> backupCertificate(ca(caPem), now));
            addIfMissing("pooler", () -> poolerCertificate(ca(caPem), now));
            loadExisting();
        }
        String reason = renewalReason(caPem, now);
        if (reason.isEmpty()) {
            return false;
        }
        ClusterCa ca = ca(caPem);
        IssuedCertificate issued = ca.issue(new CertificateRequest(agentUser(identity.name()), dnsNames(), addresses(),
                config.hostCertLifetime()), now);
        IssuedCertificate service = ca.issue(new CertificateRequest("", dnsNames(), addresses(),
                config.hostCertLifetime()), now);
        IssuedCertificate backup = backupCertificate(ca, now);
        IssuedCertificate pooler = poolerCertificate(ca, now);
        check(new DirectoryResource(dir, new Owner("root", "root", 0700)).checkApply(true));
        // Keys before certificates: a reader that sees a new certificate finds its key already there.
        write(files.key(), issued.keyPem(), 0600);
        write(dir.resolve("service.key"), service.keyPem(), 0600);
        write(dir.resolve("backup.key"), backup.keyPem(), 0600);
        write(dir.resolve("pooler.key"), pooler.keyPem(), 0600);
        write(files.certificate(), issued.certificatePem(), 0644);
        write(dir.resolve("service.crt"), service.certificatePem(), 0644);
        write(dir.resolve("backup.crt"), backup.certificatePem(), 0644);
        write(dir.resolve("pooler.crt"), pooler.certificatePem(), 0644);
        material = new Material(caPem, issued.certificatePem(), issued.keyPem(), service.certificatePem(),
                service.keyPem(), backup.certificatePem(), backup.keyPem(), pooler.certificatePem(), pooler.keyPem(),
                issued.notAfter());
        log.info("host certificate issued ({}): {} until {}", reason, agentUser(identity.name()), issued.notAfter());
        return true;
    }

    private ClusterCa ca(String caPem) throws IOException {
        return ClusterCa.load(caPem, TlsFiles.read(config.caKey(), "the cluster CA key (from pghactl init)"),
                config.caCertificate() + " and " + config.caKey(), random);
    }

    private List<String> dnsNames() {
        return List.of(identity.name(), AgentConfig.clusterDnsName(config.cluster()), "localhost");
    }

    private List<String> addresses() {
        return List.of(identity.address(), "127.0.0.1");
    }

    /** pgBackRest's: its common name is what its TLS server lets in, and its client (2.45) matches DNS names only. */
    private IssuedCertificate backupCertificate(ClusterCa ca, Instant now) throws IOException {
        List<String> names = new java.util.ArrayList<>(dnsNames());
        names.addAll(addresses());
        return ca.issue(new CertificateRequest(PgBackRestConfig.commonName(identity.name()), names, addresses(),
                config.hostCertLifetime()), now);
    }

    private IssuedCertificate poolerCertificate(ClusterCa ca, Instant now) throws IOException {
        return ca.issue(new CertificateRequest(PoolerAuth.commonName(identity.name()), dnsNames(), addresses(),
                config.hostCertLifetime()), now);
    }

    private interface Issue {
        IssuedCertificate issue() throws IOException;
    }

    private void addIfMissing(String name, Issue issue) throws IOException {
        Path cert = dir.resolve(name + ".crt");
        Path key = dir.resolve(name + ".key");
        if (Files.exists(cert) && Files.exists(key)) {
            return;
        }
        IssuedCertificate issued = issue.issue();
        write(key, issued.keyPem(), 0600);
        write(cert, issued.certificatePem(), 0644);
        log.info("{} certificate added until {}", name, issued.notAfter());
    }

    private String renewalReason(String caPem, Instant now) throws IOException {
        Material m = material;
        if (m == null) {
            return "none yet";
        }
        X509Certificate cert = Pem.readCertificate(m.certificatePem(), files().certificate().toString());
        X509Certificate ca = Pem.readCertificate(caPem, config.caCertificate().toString());
        try {
            cert.verify(ca.getPublicKey());
        } catch (java.security.GeneralSecurityException e) {
            return "the cluster CA changed";
        }
        List<String> names = IssuedCertificate.subjectAlternativeNames(cert);
        if (!names.contains(identity.name()) || !names.contains(identity.address())
                || !names.contains(AgentConfig.clusterDnsName(config.cluster()))) {
            return "host name or address changed";
        }
        if (IssuedCertificate.dueForRenewal(cert, now)) {
            return "renewal, the old one expires " + cert.getNotAfter().toInstant();
        }
        if (!caPem.equals(m.caPem())) {
            material = new Material(caPem, m.certificatePem(), m.keyPem(), m.serviceCertificatePem(),
                    m.serviceKeyPem(), m.backupCertificatePem(), m.backupKeyPem(), m.poolerCertificatePem(),
                    m.poolerKeyPem(), m.notAfter());
        }
        return "";
    }

    private static void write(Path file, String pem, int mode) throws IOException {
        FileResource f = FileResource.of(file, pem, new Owner("root", "root", mode));
        check((mode & 0044) == 0 ? f.asSensitive().checkApply(true) : f.checkApply(true));
    }

    private static void check(Result result) throws IOException {
        if (result.status() == Status.FAILED) {
            throw new IOException(result.message());
        }
    }
}
