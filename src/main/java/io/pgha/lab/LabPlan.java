package io.pgha.lab;

import io.pgha.spec.Role;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Hosts on one machine: names, addresses, roles, and where each keeps its files. With a network, each host is a
 * network namespace on a bridge (10.77.0.0/16, never wider); without, hosts share the machine's loopback.
 *
 * @param prefix  names the namespaces ({@code <prefix>-<host>}), veths and bridge, so that labs do not collide
 * @param network the bridge address with its prefix length (e.g. 10.77.255.254/16), or empty for loopback hosts
 */
public record LabPlan(String cluster, String prefix, Optional<String> network, Path baseDir, List<Host> hosts) {

    /** A lab host; several roles make it a colocated host, which the spec then allows. */
    public record Host(String name, String address, Set<Role> roles) {
        public Host {
            if (roles.isEmpty()) {
                throw new IllegalArgumentException("lab host " + name + " needs at least one role");
            }
            roles = Role.ordered(roles);
        }

        public Host(String name, String address, Role role) {
            this(name, address, EnumSet.of(role));
        }

        public boolean has(Role role) {
            return roles.contains(role);
        }
    }

    /** Patroni timers the lab recommends: failover in seconds, with room for 2 retries inside the ttl. */
    public static final String RECOMMENDED_TIMERS = "ttl: 15\nloop_wait: 2\nretry_timeout: 4\n";
    /** The seed guide's timers, for comparison. */
    public static final String GUIDE_TIMERS = "ttl: 30\nloop_wait: 10\nretry_timeout: 10\n";

    public LabPlan {
        hosts = List.copyOf(hosts);
    }

    /** The guide's topology as PLATFORM.md lays it out: etcd 10.77.0.11-13, data 10.77.1.11+, lb 10.77.2.11+. */
    public static LabPlan standard(int dataHosts, int lbHosts) {
        return numbered("lab", "pgha", "10.77.255.254/16", Path.of("/var/lib/pgha-lab"), "10.77.0.", "10.77.1.",
                "10.77.2.", 11, dataHosts, lbHosts);
    }

    /** The same shape on 10.77.200.0/24 with its own bridge, so tests can run beside a lab. */
    public static LabPlan forTests(Path baseDir, int dataHosts, int lbHosts) {
        return numbered("itest", "pghat", "10.77.200.254/24", baseDir, "10.77.200.1", "10.77.200.2",
                "10.77.200.3", 1, dataHosts, lbHosts);
    }

    private static LabPlan numbered(String cluster, String prefix, String network, Path base, String etcdNet,
                                    String dataNet, String lbNet, int first, int dataHosts, int lbHosts) {
        List<Host> hosts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            hosts.add(new Host("etcd" + (i + 1), etcdNet + (first + i), Role.ETCD));
        }
        for (int i = 0; i < dataHosts; i++) {
            hosts.add(new Host("pg" + (i + 1), dataNet + (first + i), Role.DATA));
        }
        for (int i = 0; i < lbHosts; i++) {
            hosts.add(new Host("lb" + (i + 1), lbNet + (first + i), Role.LB));
        }
        return new LabPlan(cluster, prefix, Optional.of(network), base, hosts);
    }

    public String namespace(Host host) {
        return prefix + "-" + host.name();
    }

    public String bridge() {
        return prefix + "-br0";
    }

    /** The host-side veth of a namespace: short, as interface names must be (15 characters). */
    public String veth(Host host) {
        return prefix + "v" + hosts.indexOf(host);
    }

    public Host host(String name) {
        return hosts.stream().filter(h -> h.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no host " + name + " in this lab"));
    }

    public List<Host> hostsWith(Role role) {
        return hosts.stream().filter(h -> h.has(role)).toList();
    }

    public Path hostDir(Host host) {
        return baseDir.resolve(host.name());
    }

    public Path agentYml(Host host) {
        return hostDir(host).resolve("agent.yml");
    }

    public Path root(Host host) {
        return hostDir(host).resolve("root");
    }

    public Map<String, String> etcdMembers() {
        Map<String, String> members = new LinkedHashMap<>();
        hostsWith(Role.ETCD).forEach(h -> members.put(h.name(), h.address()));
        return members;
    }

    public List<String> clientUrls() {
        return hostsWith(Role.ETCD).stream().map(h -> "http://" + h.address() + ":2379").toList();
    }

    /** agent.yml for one host: the same for all but the host block and the root prefix. */
    public String agentYmlText(Host host, int driftSeconds) {
        StringBuilder sb = new StringBuilder("cluster: " + cluster + "\netcd:\n  members:\n");
        etcdMembers().forEach((n, a) -> sb.append("    ").append(n).append(": ").append(a).append('\n'));
        sb.append("host:\n  name: ").append(host.name()).append("\n  address: ").append(host.address()).append('\n');
        sb.append("paths:\n  root: ").append(root(host)).append('\n');
        sb.append("converge:\n  drift_seconds: ").append(driftSeconds).append('\n');
        return sb.toString();
    }

    /**
     * A cluster spec for these hosts. {@code patroni} is the body of the spec's patroni section, e.g. the
     * recommended timers; clients may connect from the lab network.
     */
    public String specText(String patroni, Map<String, String> parameters) {
        StringBuilder sb = new StringBuilder("cluster: " + cluster + "\nhosts:\n");
        for (Host h : hosts) {
            sb.append("  ").append(h.name()).append(": {address: ").append(h.address());
            if (h.roles().size() == 1) {
                sb.append(", role: ").append(Role.join(h.roles()));
            } else {
                sb.append(", roles: [").append(h.roles().stream().map(Role::id).collect(Collectors.joining(", ")))
                        .append("]").append(h.has(Role.ETCD) && h.has(Role.DATA) ? ", allow_colocation: true" : "");
            }
            sb.append("}\n");
        }
        sb.append("postgres:\n  version: 15\n");
        if (!parameters.isEmpty()) {
            sb.append("  parameters:\n");
            parameters.forEach((k, v) -> sb.append("    ").append(k).append(": '").append(v).append("'\n"));
        }
        String clients = network.map(LabPlan::networkOf).orElse("127.0.0.0/8");
        sb.append("  hba:\n    - {type: host, database: all, user: all, address: ").append(clients)
                .append(", method: scram-sha-256}\n");
        sb.append("patroni:\n").append(patroni.indent(2));
        return sb.toString();
    }

    /** "10.77.255.254/16" to "10.77.0.0/16". */
    static String networkOf(String cidr) {
        String[] parts = cidr.split("/");
        int bits = Integer.parseInt(parts[1]);
        long ip = 0;
        for (String octet : parts[0].split("\\.")) {
            ip = (ip << 8) | Integer.parseInt(octet);
        }
        long mask = bits == 0 ? 0 : (0xffffffffL << (32 - bits)) & 0xffffffffL;
        long net = ip & mask;
        return ((net >> 24) & 255) + "." + ((net >> 16) & 255) + "." + ((net >> 8) & 255) + "." + (net & 255) + "/" + bits;
    }
}
