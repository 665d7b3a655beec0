package io.pgha.postgres;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.StoredSpec;
import io.pgha.dcs.Versioned;
import io.pgha.model.AgentConfig;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.ClusterSpec;
import io.pgha.model.Role;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * The data hosts' Patroni members as pghactl reaches them: the stored spec and secrets, the admin's TLS, the REST
 * password. What the member verbs (switchover, restart, reinit, failover, history) start from.
 */
public final class Members {
    private static final Duration QUICK = Duration.ofSeconds(3);
    private final ClusterSpec spec;
    private final ClusterSecrets secrets;
    private final SSLContext tls;

    public Members(ClusterSpec spec, ClusterSecrets secrets, SSLContext tls) {
        this.spec = spec;
        this.secrets = secrets;
        this.tls = tls;
    }

    /** The stored spec and secrets, or an IOException saying none is stored or the stored one does not parse. */
    public static Members stored(Dcs dcs, AgentConfig agent, SSLContext tls) throws IOException, DcsException {
        ClusterSpec spec = StoredSpec.read(dcs, agent);
        ClusterSecrets secrets = dcs.secrets().map(Versioned::value).orElseThrow(() -> new IOException(
                "no secrets stored for cluster " + agent.cluster() + " (pghactl apply stores them with the spec)"));
        return new Members(spec, secrets, tls);
    }

    public ClusterSpec spec() {
        return spec;
    }

    public ClusterSecrets secrets() {
        return secrets;
    }

    public List<String> dataHosts() {
        return spec.hostsWith(Role.DATA).stream().map(ClusterSpec.Host::name).toList();
    }

    /** What was expected and found for {@code field} when {@code host} is no data host of the spec. */
    public Optional<String> notDataHost(String field, String host) {
        return dataHosts().contains(host) ? Optional.empty() : Optional.of(field + ": expected a data host of the"
                + " spec, one of " + dataHosts() + ", found '" + host + "'");
    }

    /** {@code host}'s Patroni; {@code timeout} bounds each request (a restart or switchover answers once done). */
    public PatroniClient patroni(String host, Duration timeout) {
        return new PatroniClient(spec.host(host).orElseThrow().address(), ClusterSpec.PATRONI_PORT, timeout, tls,
                secrets.get("patroni_rest").orElseThrow());
    }

    /** The first data host's Patroni that answers, in the spec's order. */
    public PatroniClient anyAnswering() throws IOException {
        StringBuilder seen = new StringBuilder();
        for (String host : dataHosts()) {
            PatroniClient c = patroni(host, QUICK);
            try {
                c.member();
                return c;
            } catch (IOException e) {
                seen.append("; ").append(host).append(": ").append(e.getMessage());
            }
        }
        throw new IOException("no data host's Patroni answers" + seen);
    }

    /** The cluster as the first answering Patroni lists it. */
    public List<PatroniClient.ClusterMember> cluster() throws IOException {
        return anyAnswering().cluster();
    }

    public Optional<PatroniClient.ClusterMember> member(List<PatroniClient.ClusterMember> listed, String host) {
        return listed.stream().filter(m -> m.name().equals(host)).findFirst();
    }
}
