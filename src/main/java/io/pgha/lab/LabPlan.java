package io.pgha.lab;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.pgha.model.ClusterSpec;
import io.pgha.model.Role;
import io.pgha.tls.TlsFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Hosts on one machine: names, addresses, roles, and where each keeps its files. With a network, each host is a
 * network namespace on a bridge (10.77.0.0/16, never wider); without, hosts share the machine's loopback.
 *
 * @param prefix  names the namespaces ({@code <prefix>-<host>}), veths and bridge, so that labs do not collide
 * @param network the bridge address with its prefix length (e.g. 10.77.255.254/16), or empty for loopback hosts
 * @param os      what a host is: agents on this machine, or booted Debian machines
 */
public record LabPlan(String cluster, String prefix, Optional<String> network, Path baseDir, List<Host> hosts, Os os,
                      int postgresVersion) {

    /**
     * What a lab host is. {@code LOCAL}: an agent process on this machine in the host's namespace, with this
     * machine's packages (Debian 12: Patroni 3.0, etcd 3.4, PostgreSQL 15), its files under a root of its own.
     * {@code TRIXIE}: a Debian 13 machine (Patroni 4.0, etcd 3.5, PostgreSQL 17, HAProxy 3.0) booted with systemd in
     * the host's namespace, the agent installed from the .deb and run by systemd, as an operator installs it.
     * {@code FORKY}: the same with Debian 14, testing (Patroni 4.1, etcd 3.5 past its 2026 hardening, PostgreSQL 18,
     * HAProxy 3.2, Java 25): the versions a PGDG user installs today; its image also has Debian 13's PostgreSQL 17,
     * the starting point of a major upgrade to 18.
     */
    public enum Os {
        LOCAL("Debian 12", 15, "3.0", "", "", Optional.empty()),
        TRIXIE("Debian 13", 17, "4.0", "trixie", "openjdk-21-jre-headless",
                Optional.of(new OlderPostgres(15, "bookworm"))),
        // testing moves: the image records the versions it got (LabImage).
        FORKY("Debian 14", 18, "4.1", "forky", "openjdk-25-jre-headless", Optional.of(new OlderPostgres(17, "trixie")));

        private final String label;
        private final int postgresVersion;
        private final String patroniVersion;
        private final String suite;
        private final String jre;
        private final Optional<OlderPostgres> olderPostgres;

        Os(String label, int postgresVersion, String patroniVersion, String suite, String jre,
           Optional<OlderPostgres> olderPostgres) {
            this.label = label;
            this.postgresVersion = postgresVersion;
            this.patroniVersion = patroniVersion;
            this.suite = suite;
            this.jre = jre;
            this.olderPostgres = olderPostgres;
        }

        /**
         * A second, older PostgreSQL major in the image, from the Debian release that ships it, so that a lab can
         * start on it and upgrade to the platform's own (Debian has one major per release).
         */
        public Optional<OlderPostgres> olderPostgres() {
            return olderPostgres;
        }

        /** The PostgreSQL majors a lab of this platform can run, oldest first. */
        public List<Integer> postgresVersions() {
            List<Integer> out = new ArrayList<>();
            olderPostgres.ifPresent(o -> out.add(o.major()));
            out.add(postgresVersion);
            return out;
        }

        /** The Patroni release line the platform ships ("4.1"). */
        public String patroniVersion() {
            return patroniVersion;
        }

        /** The --os word that names it: its Debian suite. */
        public static Optional<Os> named(String suite) {
            return Arrays.stream(values()).filter(o -> o.booted() && o.suite.equals(suite)).findFirst();
        }

        /** The words --os takes. */
        public static String names() {
            return String.join(", ", Arrays.stream(values()).filter(Os::booted).map(Os::suite).toList());
        }

        /** "Debian 13" and so on. */
        public String label() {
            return label;
        }

        /** The PostgreSQL major version the platform ships, which the lab's spec asks for unless told another. */
        public int postgresVersion() {
            return postgresVersion;
        }

        /** The Debian suite a booted machine's image comes from. */
        public String suite() {
            return suite;
        }

        /** The Java runtime package of a booted machine. */
        public String jre() {
            return jre;
        }

        public boolean booted() {
            return this != LOCAL;
        }

        /** Its systemd (262) refuses cgroup v1: the machine is booted with the v2 hierarchy. */
        public boolean unifiedCgroups() {
            return this == FORKY;
        }
    }

    /** A PostgreSQL major from another Debian release: {@code postgresql-<major>} from {@code suite}. */
    public record OlderPostgres(int major, String suite) {
        public String packageName() {
            return "postgresql-" + major;
        }
    }

    /**
     * A lab host; several roles make it a colocated host, which the spec then allows; none makes it a spare (an agent
     * ready to be given a role by a spec change).
     */
    public record Host(String name, String address, Set<Role> roles) {
        public Host {
            roles = Role.ordered(roles);
        }

        public Host(String name, String address, Role role) {
            this(name, address, EnumSet.of(role));
        }

        public boolean has(Role role) {
            return roles.contains(role);
        }
    }

    /** Patroni's timers in a spec, in seconds. */
    public record Timers(int ttl, int loopWait, int retryTimeout) {
    }

    /**
     * Patroni timers the lab recommends: failover in seconds, with room for 2 retries inside the ttl, and what every
     * supported Patroni runs as given (3.2 and later raise a ttl below 20).
     */
    public static final Timers RECOMMENDED_TIMERS = new Timers(20, 2, 4);
    /** The seed guide's timers, for comparison. */
    public static final Timers GUIDE_TIMERS = new Timers(30, 10, 10);
    private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
            .build());

    public LabPlan {
        hosts = List.copyOf(hosts);
        if (!os.postgresVersions().contains(postgresVersion)) {
            throw new IllegalArgumentException("expected a PostgreSQL major of " + os.label() + " (one of "
                    + os.postgresVersions() + "), found " + postgresVersion);
        }
    }

    /** With the platform's own PostgreSQL major. */
    public LabPlan(String cluster, String prefix, Optional<String> network, Path baseDir, List<Host> hosts, Os os) {
        this(cluster, prefix, network, baseDir, hosts, os, os.postgresVersion());
    }

    /** The same lab on another of its platform's PostgreSQL majors ({@link Os#postgresVersions}). */
    public LabPlan withPostgres(int version) {
        return new LabPlan(cluster, prefix, network, baseDir, hosts, os, version);
    }

    /** Hosts that are agents on this machine. */
    public LabPlan(String cluster, String prefix, Optional<String> network, Path baseDir, List<Host> hosts) {
        this(cluster, prefix, network, baseDir, hosts, Os.LOCAL);
    }

    /** Where the lab keeps what outlives it: the booted machines' images, built once (lab down --purge removes it). */
    public static final Path IMAGES = Path.of("/var/lib/pgha-lab/images");

    /** The guide's topology as PLATFORM.md lays it out: etcd 10.77.0.11-13, data 10.77.1.11+, lb 10.77.2.11+. */
    public static LabPlan standard(int dataHosts, int lbHosts) {
        return standard(dataHosts, lbHosts, Os.LOCAL);
    }

    public static LabPlan standard(int dataHosts, int lbHosts, Os os) {
        return standard(dataHosts, lbHosts, os, 0);
    }

    /** With {@code spares} hosts without a role (spare1 ... at 10.77.3.11+). */
    public static LabPlan standard(int dataHosts, int lbHosts, Os os, int spares) {
        return numbered("lab", "pgha", "10.77.255.254/16", Path.of("/var/lib/pgha-lab"),
                List.of("10.77.0.", "10.77.1.", "10.77.2.", "10.77.3."), 11, dataHosts, lbHosts, spares, os);
    }

    /** The same shape on 10.77.200.0/24 with its own bridge, so tests can run beside a lab. */
    public static LabPlan forTests(Path baseDir, int dataHosts, int lbHosts) {
        return forTests(baseDir, dataHosts, lbHosts, Os.LOCAL);
    }

    public static LabPlan forTests(Path baseDir, int dataHosts, int lbHosts, Os os) {
        return forTests(baseDir, dataHosts, lbHosts, os, 0);
    }

    public static LabPlan forTests(Path baseDir, int dataHosts, int lbHosts, Os os, int spares) {
        return numbered("itest", "pghat", "10.77.200.254/24", baseDir,
                List.of("10.77.200.1", "10.77.200.2", "10.77.200.3", "10.77.200.4"), 1, dataHosts, lbHosts, spares, os);
    }

    /** etcd1-3, pg1.., lb1.., spare1..: each kind numbered from {@code first} on its own net (etcd, data, lb, spare). */
    private static LabPlan numbered(String cluster, String prefix, String network, Path base, List<String> nets,
                                    int first, int dataHosts, int lbHosts, int spares, Os os) {
        List<Host> hosts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            hosts.add(new Host("etcd" + (i + 1), nets.get(0) + (first + i), Role.ETCD));
        }
        for (int i = 0; i < dataHosts; i++) {
            hosts.add(new Host("pg" + (i + 1), nets.get(1) + (first + i), Role.DATA));
        }
        for (int i = 0; i < lbHosts; i++) {
            hosts.add(new Host("lb" + (i + 1), nets.get(2) + (first + i), Role.LB));
        }
        for (int i = 0; i < spares; i++) {
            hosts.add(new Host("spare" + (i + 1), nets.get(3) + (first + i), EnumSet.noneOf(Role.class)));
        }
        return new LabPlan(cluster, prefix, Optional.of(network), base, hosts, os);
    }

    /** The pgBackRest repository host {@link #withBackupHost} adds. */
    public static final String BACKUP_HOST = "backup1";
    /** Its address in {@link #standard} labs. */
    public static final String BACKUP_ADDRESS = "10.77.4.11";

    /** The same lab with a pgBackRest repository host (role backup), and the spec's backup section. */
    public LabPlan withBackupHost(String address) {
        List<Host> more = new ArrayList<>(hosts);
        more.add(new Host(BACKUP_HOST, address, Role.BACKUP));
        return withHosts(more);
    }

    /** The same lab with other hosts (a host taken out of the spec, say). */
    public LabPlan withHosts(List<Host> others) {
        return new LabPlan(cluster, prefix, network, baseDir, others, os, postgresVersion);
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

    /** The host's files: a root of its own (LOCAL), or the booted machine's root file system. */
    public Path root(Host host) {
        return hostDir(host).resolve("root");
    }

    /** The data directory on a data host, relative to its root. */
    public String postgresDataDir() {
        return "var/lib/pgha-agent/postgresql/" + postgresVersion + "/data";
    }

    public Map<String, String> etcdMembers() {
        Map<String, String> members = new LinkedHashMap<>();
        hostsWith(Role.ETCD).forEach(h -> members.put(h.name(), h.address()));
        return members;
    }

    public List<String> clientUrls() {
        return hostsWith(Role.ETCD).stream().map(h -> "https://" + h.address() + ":2379").toList();
    }

    /** The lab's cluster CA and admin identity, as pghactl init makes them. */
    public Path pkiDir() {
        return baseDir.resolve("pki");
    }

    /** pghactl's identity in the lab: the admin certificate (etcd root, Patroni REST). */
    public TlsFiles adminTls() {
        return new TlsFiles(pkiDir().resolve("ca.crt"), pkiDir().resolve("admin.crt"), pkiDir().resolve("admin.key"));
    }

    public String agentYmlText(Host host, int driftSeconds) {
        return agentYmlText(host, driftSeconds, 0);
    }

    /**
     * agent.yml for one host, built as data: the same for all but the host block and the root prefix (and a host
     * certificate lifetime, if not 0).
     */
    public String agentYmlText(Host host, int driftSeconds, long hostCertSeconds) {
        ObjectNode root = YAML.createObjectNode().put("cluster", cluster);
        ObjectNode members = root.putObject("etcd").putObject("members");
        etcdMembers().forEach(members::put);
        root.putObject("host").put("name", host.name()).put("address", host.address());
        if (!os.booted()) {
            // A booted host is a machine of its own: the agent manages its real root.
            root.putObject("paths").put("root", root(host).toString())
                    .put("peer_root", hostDir(new Host("{host}", "", Set.of())).resolve("root").toString());
        }
        root.putObject("converge").put("drift_seconds", driftSeconds);
        if (hostCertSeconds > 0) {
            root.putObject("tls").put("host_cert_seconds", hostCertSeconds);
        }
        return yaml(root);
    }

    /**
     * A cluster spec for these hosts, built as data: no parameter value can break the file. Clients may connect from
     * the lab network.
     */
    public String specText(Timers timers, boolean synchronous, Map<String, String> parameters) {
        return specText(timers, synchronous ? "true" : "false", parameters);
    }

    /** With Patroni's synchronous_mode as the spec writes it: false, true or quorum. */
    public String specText(Timers timers, String synchronousMode, Map<String, String> parameters) {
        return specText(timers, synchronousMode, false, false, parameters);
    }

    /**
     * With synchronous_mode (false, true or quorum), synchronous_mode_strict and fast_failover (both only in the
     * synchronous modes).
     */
    public String specText(Timers timers, String synchronousMode, boolean strict, boolean fastFailover,
                           Map<String, String> parameters) {
        ObjectNode root = YAML.createObjectNode().put("cluster", cluster);
        ObjectNode hostsNode = root.putObject("hosts");
        for (Host h : hosts) {
            ObjectNode entry = hostsNode.putObject(h.name()).put("address", h.address());
            if (h.roles().isEmpty()) {
                entry.putArray("roles");
            } else if (h.roles().size() == 1) {
                entry.put("role", Role.join(h.roles()));
            } else {
                h.roles().forEach(r -> entry.withArray("roles").add(r.id()));
                if (h.has(Role.ETCD) && h.has(Role.DATA)) {
                    entry.put("allow_colocation", true);
                }
            }
        }
        ObjectNode postgres = root.putObject("postgres").put("version", postgresVersion);
        if (!parameters.isEmpty()) {
            ObjectNode params = postgres.putObject("parameters");
            parameters.forEach(params::put);
        }
        postgres.putArray("hba").addObject().put("type", "hostssl").put("database", "all").put("user", "all")
                .put("address", network.map(LabPlan::networkOf).orElse("127.0.0.0/8")).put("method", "scram-sha-256");
        ObjectNode patroni = root.putObject("patroni").put("ttl", timers.ttl()).put("loop_wait", timers.loopWait())
                .put("retry_timeout", timers.retryTimeout());
        if (synchronousMode.equals("quorum")) {
            patroni.put("synchronous_mode", "quorum");
        } else if (synchronousMode.equals("true")) {
            patroni.put("synchronous_mode", true);
        }
        if (strict) {
            patroni.put("synchronous_mode_strict", true);
        }
        if (fastFailover) {
            patroni.put("fast_failover", true);
        }
        vip().ifPresent(vip -> root.putObject("lb").put("vip", vip));
        if (pooler()) {
            root.putObject("pooler").put("port", ClusterSpec.Pooler.DEFAULT_PORT).put("pool_mode", "transaction");
        }
        if (!hostsWith(Role.BACKUP).isEmpty()) {
            // The defaults spelt out, so that the lab's spec shows what there is to change.
            ObjectNode backup = root.putObject("backup");
            backup.putObject("retention").put("full", ClusterSpec.Backup.DEFAULT_RETENTION_FULL)
                    .put("diff", ClusterSpec.Backup.DEFAULT_RETENTION_DIFF);
            backup.putObject("schedule").put("full", ClusterSpec.Backup.DEFAULT_FULL)
                    .put("diff", ClusterSpec.Backup.DEFAULT_DIFF);
            backup.put("from", "replica").put("drill", ClusterSpec.Backup.DEFAULT_DRILL);
        }
        return yaml(root);
    }

    /** Whether the lab's spec has a pooler: with two or more lb hosts, as the floating address. */
    public boolean pooler() {
        return hostsWith(Role.LB).size() >= 2;
    }

    /**
     * The lb hosts' floating address when the lab has two or more of them: the address just below the bridge's
     * (10.77.255.253/16 in the standard lab), with the bridge's prefix.
     */
    public Optional<String> vip() {
        if (hostsWith(Role.LB).size() < 2 || network.isEmpty()) {
            return Optional.empty();
        }
        String[] parts = network.get().split("/");
        int dot = parts[0].lastIndexOf('.');
        int last = Integer.parseInt(parts[0].substring(dot + 1));
        return Optional.of(parts[0].substring(0, dot + 1) + (last - 1) + "/" + parts[1]);
    }

    /** The floating address alone, without its prefix: where clients connect. */
    public Optional<String> vipAddress() {
        return vip().map(cidr -> cidr.substring(0, cidr.indexOf('/')));
    }

    private static String yaml(ObjectNode root) {
        try {
            return YAML.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of strings always serialises", e);
        }
    }

    /** "10.77.255.254/16" to "10.77.0.0/16". */
    static String networkOf(String cidr) {
        String[] parts = cidr.split("/");
        int bits = Integer.parseInt(parts[1]);
        long mask = bits == 0 ? 0 : (0xffffffffL << (32 - bits)) & 0xffffffffL;
        return io.pgha.net.Ipv4Networks.text(io.pgha.model.Values.ipv4Bits(parts[0]) & mask) + "/" + bits;
    }
}
