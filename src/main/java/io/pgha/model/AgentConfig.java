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
 * @param rolesDir      where role definitions live, if agent.yml overrides the installed location
 * @param apiListen     host:port of the agent's HTTP endpoint, if set (default: host address, port 8010)
 * @param driftSeconds  how often a converge runs without a spec change, to repair drift
 */
public record AgentConfig(
        String cluster,
        Map<String, String> members,
        int clientPort,
        int peerPort,
        Optional<String> hostName,
        Optional<String> hostAddress,
        Path root,
        Optional<Path> rolesDir,
        Optional<String> apiListen,
        int driftSeconds) {

    public static final Path DEFAULT_PATH = Path.of("/etc/pgha-agent/agent.yml");
    public static final int DEFAULT_API_PORT = 8010;
    public static final int DEFAULT_CLIENT_PORT = 2379;
    public static final int DEFAULT_PEER_PORT = 2380;

    public AgentConfig {
        members = Collections.unmodifiableMap(new LinkedHashMap<>(members));
    }

    public static AgentConfig load(Path file) throws InvalidSpecException, IOException {
        return parse(Files.readString(file), file.toString());
    }

    public static AgentConfig parse(String text, String source) throws InvalidSpecException {
        List<SpecError> errors = new ArrayList<>();
        Node root = Node.root(YamlDocument.parse(text, errors), errors);
        if (!errors.isEmpty()) {
            throw new InvalidSpecException(source, errors);
        }
        root.expectMapping(Set.of("cluster", "etcd", "host", "paths", "api", "converge"));

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
        paths.expectMapping(Set.of("root", "roles"));
        Path rootPath = Path.of("/");
        Optional<String> rootText = paths.field("root").text();
        if (rootText.isPresent()) {
            rootPath = absolutePath(paths.field("root"), rootText.get());
        }
        Optional<Path> roles = paths.field("roles").text().map(t -> absolutePath(paths.field("roles"), t));

        Node api = root.field("api");
        api.expectMapping(Set.of("listen"));
        Optional<String> apiListen = api.field("listen").text();
        apiListen.ifPresent(l -> check(api.field("listen"), checkListen(l)));

        Node converge = root.field("converge");
        converge.expectMapping(Set.of("drift_seconds"));
        int drift = (int) converge.field("drift_seconds").integer(30, 1, 3600);

        if (!errors.isEmpty()) {
            throw new InvalidSpecException(source, errors);
        }
        return new AgentConfig(cluster, members, clientPort, peerPort, hostName, hostAddress, rootPath, roles,
                apiListen, drift);
    }

    /** The port of the agent's own HTTP endpoint. */
    public int apiPort() {
        return apiListen.map(l -> Integer.parseInt(l.substring(l.lastIndexOf(':') + 1))).orElse(DEFAULT_API_PORT);
    }

    /** The member name whose address is {@code address}, if this address is an etcd member. */
    public Optional<String> memberAt(String address) {
        return members.entrySet().stream().filter(e -> e.getValue().equals(address)).map(Map.Entry::getKey).findFirst();
    }

    /** Client URLs of every member, in file order ("http://addr:port"; jetcd refuses bare host:port). */
    public List<String> clientUrls() {
        return members.values().stream().map(a -> "http://" + a + ":" + clientPort).toList();
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
