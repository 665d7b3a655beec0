package io.pgha.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The local, per-host agent.yml: identical on every host but for the optional host override.
 *
 * @param members       the static etcd member list, name to address, in file order
 * @param hostName      this host's name if agent.yml sets it (otherwise resolved at start-up)
 * @param hostAddress   this host's address if agent.yml sets it (otherwise the address routing to etcd)
 * @param root          prefix for every path the agent reads or writes on the host ("/" normally)
 * @param peerRoot      another host's root as this host would name it, {@code {host}} standing for its name: "/"
 *                      normally; in the lab, whose hosts share one file system, each under a root of its own
 * @param rolesDir      where role definitions live, if agent.yml overrides the installed location
 * @param apiListen     host:port of the agent's HTTP endpoint, if set (default: host address, port 8010)
 * @param driftSeconds  how often a converge runs without a spec change, to repair drift
 * @param tlsDir        where the cluster's files from {@code pghactl init} are: ca.crt, ca.key (agents), admin.crt
 *                      and admin.key (pghactl); by default the directory of agent.yml
 * @param hostCertLifetime how long a host certificate the agent issues itself is valid (renewed after two thirds)
 */
public record AgentConfig(
        String cluster,
        Map<String, String> members,
        int clientPort,
        int peerPort,
        Optional<String> hostName,
        Optional<String> hostAddress,
        Path root,
        String peerRoot,
        Optional<Path> rolesDir,
        Optional<String> apiListen,
        int driftSeconds,
        Path tlsDir,
        java.time.Duration hostCertLifetime) {

    public static final Path DEFAULT_PATH = Path.of("/etc/pgha-agent/agent.yml");
    public static final int DEFAULT_API_PORT = 8010;
    public static final int DEFAULT_CLIENT_PORT = 2379;
    public static final int DEFAULT_PEER_PORT = 2380;

    public AgentConfig {
        members = Collections.unmodifiableMap(new LinkedHashMap<>(members));
    }

    public static final String CA_CERT = "ca.crt";
    public static final String CA_KEY = "ca.key";
    public static final String JOIN_SECRET = "join.secret";
    public static final String ADMIN_CERT = "admin.crt";
    public static final String ADMIN_KEY = "admin.key";
    /** CloudNativePG's default: short enough that a leaked key soon stops working, renewed with a month to spare. */
    public static final long DEFAULT_HOST_CERT_SECONDS = 90L * 24 * 3600;

    public static AgentConfig load(Path file) throws InvalidSpecException, IOException {
        Path dir = file.toAbsolutePath().getParent();
        return parse(Files.readString(file), file.toString(), dir);
    }

    public static AgentConfig parse(String text, String source) throws InvalidSpecException {
        return parse(text, source, DEFAULT_PATH.getParent());
    }

    public static AgentConfig parse(String text, String source, Path agentYmlDir) throws InvalidSpecException {
        List<SpecError> errors = new ArrayList<>();
        Node root = Node.root(YamlDocument.parse(text, errors), errors);
        if (!errors.isEmpty()) {
            throw new InvalidSpecException(source, errors);
        }
        root.expectMapping(Set.of("cluster", "etcd", "host", "paths", "api", "converge", "tls"));

        Node clusterNode = root.field("cluster");
        String cluster = clusterNode.requiredText();
        if (!clusterNode.isMissing()) {
            check(clusterNode, Values.checkName(cluster));
        }

        Node etcd = root.field("etcd");
        if (etcd.isMissing()) {
            etcd.error("is required (with 'members': the static etcd member list)");
        }
        etcd.expectMapping(Set.of("members", "client_port", "peer_port"));
        Map<String, String> members = readMembers(etcd.field("members"));
        int clientPort = (int) etcd.field("client_port").integer(DEFAULT_CLIENT_PORT, 1, 65535);
        int peerPort = (int) etcd.field("peer_port").integer(DEFAULT_PEER_PORT, 1, 65535);
        if (clientPort == peerPort) {
            etcd.field("peer_port").error("must differ from client_port (" + clientPort + ")");
        }

        Node host = root.field("host");
        host.expectMapping(Set.of("name", "address"));
        Optional<String> hostName = host.field("name").text();
        hostName.ifPresent(n -> check(host.field("name"), Values.checkName(n)));
        Optional<String> hostAddress = host.field("address").text();
        hostAddress.ifPresent(a -> check(host.field("address"), Values.checkIpv4(a)));

        Node paths = root.field("paths");
        paths.expectMapping(Set.of("root", "peer_root", "roles"));
        Path rootPath = Path.of("/");
        Optional<String> rootText = paths.field("root").text();
        if (rootText.isPresent()) {
            rootPath = absolutePath(paths.field("root"), rootText.get());
        }
        // Without one, every host is taken to be laid out as this one.
        String peerRoot = paths.field("peer_root").text().orElse(rootPath.toString());
        if (!peerRoot.startsWith("/") || peerRoot.contains("\n") || peerRoot.contains("..")) {
            paths.field("peer_root").error("expected an absolute path, {host} standing for a host's name, found '"
                    + Values.printable(peerRoot) + "'");
        }
        Optional<Path> roles = paths.field("roles").text().map(t -> absolutePath(paths.field("roles"), t));

        Node api = root.field("api");
        api.expectMapping(Set.of("listen"));
        Optional<String> apiListen = api.field("listen").text();
        apiListen.ifPresent(l -> check(api.field("listen"), checkListen(l)));

        Node converge = root.field("converge");
        converge.expectMapping(Set.of("drift_seconds"));
        int drift = (int) converge.field("drift_seconds").integer(30, 1, 3600);

        Node tls = root.field("tls");
        tls.expectMapping(Set.of("dir", "host_cert_seconds"));
        Path tlsDir = tls.field("dir").text().map(t -> absolutePath(tls.field("dir"), t)).orElse(agentYmlDir);
        long certSeconds = tls.field("host_cert_seconds").integer(DEFAULT_HOST_CERT_SECONDS, 60, 10L * 365 * 24 * 3600);

        if (!errors.isEmpty()) {
            throw new InvalidSpecException(source, errors);
        }
        return new AgentConfig(cluster, members, clientPort, peerPort, hostName, hostAddress, rootPath, peerRoot, roles,
                apiListen, drift, tlsDir, java.time.Duration.ofSeconds(certSeconds));
    }

    /** Where another host's files lie, as this host names them (the same layout as its own on real hosts). */
    public HostPaths peerPaths(String host) {
        return new HostPaths(Path.of(peerRoot.replace("{host}", host)));
    }

    /** The port of the agent's own HTTP endpoint. */
    public int apiPort() {
        return apiListen.map(l -> Integer.parseInt(l.substring(l.lastIndexOf(':') + 1))).orElse(DEFAULT_API_PORT);
    }

    /** The member name whose address is {@code address}, if this address is an etcd member. */
    public Optional<String> memberAt(String address) {
        return members.entrySet().stream().filter(e -> e.getValue().equals(address)).map(Map.Entry::getKey).findFirst();
    }

    /** Client URLs of every member, in file order ("https://addr:port"; jetcd refuses bare host:port). */
    public List<String> clientUrls() {
        return members.values().stream().map(a -> "https://" + a + ":" + clientPort).toList();
    }

    /**
     * The DNS name every host certificate of {@code cluster} carries besides its own: etcd clients check it (with
     * several endpoints gRPC has no single host name to check against).
     */
    public static String clusterDnsName(String cluster) {
        return cluster + ".pgha";
    }

    public Path caCertificate() {
        return tlsDir.resolve(CA_CERT);
    }

    public Path caKey() {
        return tlsDir.resolve(CA_KEY);
    }

    /** The one-time secret from {@code pghactl host add} a host without the CA key enrolls with. */
    public Path joinSecret() {
        return tlsDir.resolve(JOIN_SECRET);
    }

    public Path adminCertificate() {
        return tlsDir.resolve(ADMIN_CERT);
    }

    public Path adminKey() {
        return tlsDir.resolve(ADMIN_KEY);
    }

    private static Map<String, String> readMembers(Node node) {
        Map<String, String> members = new LinkedHashMap<>();
        if (node.isMissing()) {
            node.error("is required: the static etcd member list (name: address), as in the guide's initial-cluster");
            return members;
        }
        Set<String> addresses = new HashSet<>();
        node.entries().forEach((name, value) -> {
            String nameProblem = Values.checkName(name);
            if (nameProblem != null) {
                value.error("member name " + nameProblem);
            }
            String address = value.requiredText();
            String problem = Values.checkIpv4(address);
            if (problem != null) {
                value.error(problem);
            } else if (!addresses.add(address)) {
                value.error("duplicate address " + address + " (each member needs its own)");
            }
            members.put(name, address);
        });
        if (members.isEmpty() && node.isScalar()) {
            node.error("expected a mapping of member name to address");
        } else if (members.isEmpty()) {
            node.error("must list at least one member");
        }
        return members;
    }

    private static Path absolutePath(Node node, String text) {
        if (!text.startsWith("/")) {
            node.error("expected an absolute path, found '" + Values.printable(text) + "'");
            return Path.of("/");
        }
        String problem = Values.checkSafeText(text, 4096);
        if (problem != null) {
            node.error(problem);
            return Path.of("/");
        }
        return Path.of(text).normalize();
    }

    private static String checkListen(String value) {
        int colon = value.lastIndexOf(':');
        if (colon <= 0) {
            return "expected address:port such as 10.0.0.1:8010, found '" + Values.printable(value) + "'";
        }
        String address = value.substring(0, colon);
        String problem = address.equals("0.0.0.0") ? null : Values.checkIpv4(address);
        if (problem != null) {
            return problem;
        }
        String port = value.substring(colon + 1);
        if (!port.matches("\\d{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
            return "expected a port between 1 and 65535 after ':', found '" + Values.printable(port) + "'";
        }
        return null;
    }

    static void check(Node node, String problem) {
        if (problem != null) {
            node.error(problem);
        }
    }
}
