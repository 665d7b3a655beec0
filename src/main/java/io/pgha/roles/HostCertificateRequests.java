package io.pgha.roles;

import io.pgha.backup.PgBackRestConfig;
import io.pgha.dcs.EtcdAccess;
import io.pgha.model.AgentConfig;
import io.pgha.postgres.PoolerAuth;
import io.pgha.tls.CertificateRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What each of a host's certificates says, from the cluster, the host's name and its address alone: the agent that
 * issues its own (with the CA key) and an etcd host's agent that signs another host's order build the same.
 * <ul>
 *   <li>{@code agent}: common name {@code agent-HOST}, the agent's etcd user;</li>
 *   <li>{@code service}: etcd, Patroni, PostgreSQL, HAProxy; no common name, which etcd refuses on its JSON gateway
 *       (Patroni's, which logs in with a password instead);</li>
 *   <li>{@code backup}: pgBackRest's TLS server lets a peer in by its common name ({@code pgbackrest-HOST}, which etcd
 *       has no user for), and its client (2.45) matches DNS names only, so the addresses are DNS names in it too;</li>
 *   <li>{@code pooler}: PgBouncer's client certificate to PostgreSQL ({@code pooler-HOST}), which lets the pooler's
 *       auth user in without a password.</li>
 * </ul>
 */
public final class HostCertificateRequests {
    public static final String AGENT = "agent";
    public static final String SERVICE = "service";
    public static final String BACKUP = "backup";
    public static final String POOLER = "pooler";
    public static final List<String> PURPOSES = List.of(AGENT, SERVICE, BACKUP, POOLER);

    private HostCertificateRequests() {
    }

    /** The etcd user name an agent's certificate stands for. */
    public static String agentUser(String host) {
        return EtcdAccess.AGENT_PREFIX + host;
    }

    /** Each purpose's request, in {@link #PURPOSES}' order. */
    public static Map<String, CertificateRequest> of(String cluster, String host, String address, Duration lifetime) {
        List<String> dnsNames = List.of(host, AgentConfig.clusterDnsName(cluster), "localhost");
        List<String> addresses = List.of(address, "127.0.0.1");
        List<String> namesAndAddresses = new ArrayList<>(dnsNames);
        namesAndAddresses.addAll(addresses);
        Map<String, CertificateRequest> requests = new LinkedHashMap<>();
        requests.put(AGENT, new CertificateRequest(agentUser(host), dnsNames, addresses, lifetime));
        requests.put(SERVICE, new CertificateRequest("", dnsNames, addresses, lifetime));
        requests.put(BACKUP, new CertificateRequest(PgBackRestConfig.commonName(host), namesAndAddresses, addresses,
                lifetime));
        requests.put(POOLER, new CertificateRequest(PoolerAuth.commonName(host), dnsNames, addresses, lifetime));
        return requests;
    }
}
