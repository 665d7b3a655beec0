package io.pgha.roles;

import io.pgha.model.AgentConfig;
import io.pgha.model.CertificateOrder;
import io.pgha.model.HostIdentity;
import io.pgha.model.HostPaths;
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
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This host's certificates ({@link HostCertificateRequests} says what each is for), with the host's name and address
 * as subject alternative names, and made again once two thirds of their lifetime have passed, when the CA changed, or
 * when the host's name or address did. Where ca.key sits next to agent.yml (the etcd hosts) the agent issues them
 * itself; elsewhere it makes the keys and an etcd host's agent signs them ({@link CertificateOrderClient}): the first
 * time for the join secret beside agent.yml, then for its current certificate. Keys are root's alone (0600); each
 * program gets its own copy through its role.
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

    /** Certificates not signed (yet): no join secret, refused, or no etcd host's agent answered; worth waiting for. */
    public static final class NotSigned extends IOException {
        public NotSigned(String message) {
            super(message);
        }
    }

    private static final String RENEWAL = "renewal";
    private static final java.time.Duration ORDER_RETRY = java.time.Duration.ofMinutes(1);

    private final AgentConfig config;
    private final HostIdentity identity;
    private final Path dir;
    private final SecureRandom random;
    private final CertificateOrderClient orders;
    private volatile Material material;
    private Instant lastOrderAt = Instant.EPOCH;
    private String lastOrderFailure;
    private volatile javax.net.ssl.SSLContext sslContext;

    public HostCertificate(AgentConfig config, HostIdentity identity, HostPaths paths, SecureRandom random) {
        this.config = config;
        this.identity = identity;
        this.dir = paths.stateDir().resolve("tls");
        this.random = random;
        this.orders = new CertificateOrderClient(List.copyOf(config.members().values()), config.apiPort());
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
        boolean holdsCaKey = Files.exists(config.caKey());
        if (material == null && present(HostCertificateRequests.AGENT) && present(HostCertificateRequests.SERVICE)) {
            if (holdsCaKey) {
                // An agent from before pgBackRest's or the pooler's certificate: only those are added, so that etcd,
                // Patroni and HAProxy keep theirs (a new one would restart every etcd member once).
                addIfMissing(HostCertificateRequests.BACKUP, caPem, now);
                addIfMissing(HostCertificateRequests.POOLER, caPem, now);
            }
            if (HostCertificateRequests.PURPOSES.stream().allMatch(this::present)) {
                loadExisting();
            }
        }
        String reason = renewalReason(caPem, now);
        if (reason.isEmpty()) {
            return false;
        }
        Map<String, IssuedCertificate> issued = holdsCaKey ? selfIssued(caPem, now)
                : ordered(caPem, reason.startsWith(RENEWAL), now);
        check(new DirectoryResource(dir, new Owner("root", "root", 0700)).checkApply(true));
        // Keys before certificates: a reader that sees a new certificate finds its key already there.
        for (String purpose : HostCertificateRequests.PURPOSES) {
            write(keyFile(purpose), issued.get(purpose).keyPem(), 0600);
        }
        for (String purpose : HostCertificateRequests.PURPOSES) {
            write(certificateFile(purpose), issued.get(purpose).certificatePem(), 0644);
        }
        IssuedCertificate agent = issued.get(HostCertificateRequests.AGENT);
        IssuedCertificate service = issued.get(HostCertificateRequests.SERVICE);
        IssuedCertificate backup = issued.get(HostCertificateRequests.BACKUP);
        IssuedCertificate pooler = issued.get(HostCertificateRequests.POOLER);
        material = new Material(caPem, agent.certificatePem(), agent.keyPem(), service.certificatePem(),
                service.keyPem(), backup.certificatePem(), backup.keyPem(), pooler.certificatePem(), pooler.keyPem(),
                agent.notAfter());
        if (!holdsCaKey && Files.deleteIfExists(config.joinSecret())) {
            log.info("{} deleted: its join secret is used up", config.joinSecret());
        }
        log.info("host certificates {} ({}): {} until {}", holdsCaKey ? "issued" : "signed by an etcd host", reason,
                HostCertificateRequests.agentUser(identity.name()), agent.notAfter());
        return true;
    }

    /** With the CA key: each purpose's certificate with a new key. */
    private Map<String, IssuedCertificate> selfIssued(String caPem, Instant now) throws IOException {
        ClusterCa ca = ca(caPem);
        Map<String, IssuedCertificate> issued = new LinkedHashMap<>();
        requests().forEach((purpose, request) -> issued.put(purpose, ca.issue(request, now)));
        return issued;
    }

    /**
     * Without the CA key: new keys made here, their certificates signed by an etcd host's agent; the first ones for the
     * join secret, a renewal for the current certificate. While the host has certificates (a running agent's pass
     * renews them) tried at most once a minute: each try may wait for every etcd host's deadline, and a pass has other
     * work. Before, the caller says how often.
     */
    private Map<String, IssuedCertificate> ordered(String caPem, boolean renewal, Instant now) throws IOException {
        if (material != null && lastOrderFailure != null && now.isBefore(lastOrderAt.plus(ORDER_RETRY))) {
            throw new NotSigned(lastOrderFailure + " (tried again at " + lastOrderAt.plus(ORDER_RETRY) + ")");
        }
        lastOrderAt = now;
        try {
            Map<String, IssuedCertificate> issued = order(caPem, renewal);
            lastOrderFailure = null;
            return issued;
        } catch (NotSigned e) {
            lastOrderFailure = e.getMessage();
            throw e;
        }
    }

    private Map<String, IssuedCertificate> order(String caPem, boolean renewal) throws IOException {
        String secret = "";
        if (!renewal) {
            if (!Files.exists(config.joinSecret())) {
                throw new NotSigned("this host has no certificate yet and no join secret at " + config.joinSecret()
                        + ": run pghactl host add " + identity.name() + " --address " + identity.address()
                        + " and write the secret it prints there (mode 0600)");
            }
            secret = TlsFiles.read(config.joinSecret(), "the join secret from pghactl host add").strip();
        }
        Map<String, KeyPair> keys = new LinkedHashMap<>();
        Map<String, String> publicKeys = new LinkedHashMap<>();
        for (String purpose : HostCertificateRequests.PURPOSES) {
            KeyPair pair = ClusterCa.newKeyPair(random);
            keys.put(purpose, pair);
            publicKeys.put(purpose, Base64.getEncoder().encodeToString(pair.getPublic().getEncoded()));
        }
        CertificateOrder order = new CertificateOrder(identity.name(), identity.address(), secret, publicKeys);
        CertificateOrder.Answer answer = orders.send(order, renewal ? sslContext() : files().anonymousSslContext());
        X509Certificate ca = Pem.readCertificate(caPem, config.caCertificate().toString());
        Map<String, IssuedCertificate> issued = new LinkedHashMap<>();
        for (String purpose : HostCertificateRequests.PURPOSES) {
            String pem = answer.certificates().get(purpose);
            if (pem == null) {
                throw new NotSigned("the signer's answer has no " + purpose + " certificate");
            }
            X509Certificate certificate = Pem.readCertificate(pem, "the signer's " + purpose + " certificate");
            try {
                certificate.verify(ca.getPublicKey());
            } catch (java.security.GeneralSecurityException e) {
                throw new NotSigned("the signer's " + purpose + " certificate is not the cluster CA's");
            }
            if (!certificate.getPublicKey().equals(keys.get(purpose).getPublic())) {
                throw new NotSigned("the signer's " + purpose + " certificate is for another key than the one sent");
            }
            issued.put(purpose, new IssuedCertificate(certificate, keys.get(purpose).getPrivate()));
        }
        return issued;
    }

    private boolean present(String purpose) {
        return Files.exists(certificateFile(purpose)) && Files.exists(keyFile(purpose));
    }

    /** host.crt for the agent's (the name pghactl and the agent's TLS files have always had), PURPOSE.crt else. */
    private Path certificateFile(String purpose) {
        return purpose.equals(HostCertificateRequests.AGENT) ? files().certificate() : dir.resolve(purpose + ".crt");
    }

    private Path keyFile(String purpose) {
        return purpose.equals(HostCertificateRequests.AGENT) ? files().key() : dir.resolve(purpose + ".key");
    }

    /** The signer of other hosts' orders, on a host that holds the CA key (an etcd member's); else empty. */
    public Optional<CertificateSigner> signer() throws IOException {
        if (!Files.exists(config.caKey())) {
            return Optional.empty();
        }
        return Optional.of(new CertificateSigner(config.cluster(),
                ca(TlsFiles.read(config.caCertificate(), CA_CERTIFICATE)), config.hostCertLifetime()));
    }

    private ClusterCa ca(String caPem) throws IOException {
        return ClusterCa.load(caPem, TlsFiles.read(config.caKey(), "the cluster CA key (from pghactl init)"),
                config.caCertificate() + " and " + config.caKey(), random);
    }

    private Map<String, CertificateRequest> requests() {
        return HostCertificateRequests.of(config.cluster(), identity.name(), identity.address(),
                config.hostCertLifetime());
    }

    private void addIfMissing(String name, String caPem, Instant now) throws IOException {
        if (present(name)) {
            return;
        }
        IssuedCertificate issued = ca(caPem).issue(requests().get(name), now);
        write(keyFile(name), issued.keyPem(), 0600);
        write(certificateFile(name), issued.certificatePem(), 0644);
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
            return RENEWAL + ", the old one expires " + cert.getNotAfter().toInstant();
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
