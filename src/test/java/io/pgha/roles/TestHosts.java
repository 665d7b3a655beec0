package io.pgha.roles;

import io.pgha.model.AgentConfig;
import io.pgha.model.HostIdentity;
import io.pgha.model.HostPaths;
import io.pgha.model.ProgramVersion;
import io.pgha.resources.PackageSources;
import io.pgha.resources.Platform;
import io.pgha.supervise.Supervisor;
import io.pgha.tls.ClusterFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Hosts for the roles' tests: each a root of its own under a temporary directory, agent.yml beside a fresh cluster CA,
 * the repository's roles/, a supervisor that runs nothing, and the programs {@link #installed} says are there.
 */
final class TestHosts implements AutoCloseable {
    static final Path ROLES = Path.of("roles").toAbsolutePath();
    private final Path temp;
    private final Supervisor supervisor = new Supervisor(Path.of("/nonexistent/run"));
    /** What the hosts have installed, by binary name: Debian 12's versions unless a test says otherwise. */
    final Map<String, ProgramVersion> installed = new HashMap<>(Map.of("etcd", new ProgramVersion(3, 4, 23),
            "patroni", new ProgramVersion(3, 0, 2), "haproxy", new ProgramVersion(2, 6, 12)));

    TestHosts(Path temp) {
        this.temp = temp;
    }

    /** The host {@code name} at {@code address}, its files under the lab's layout. */
    HostContext host(String agentYml, String name, String address) throws Exception {
        return host(agentYml, name, address, temp.resolve("srv/lab/" + name));
    }

    HostContext host(String agentYml, String name, String address, Path root) throws Exception {
        Path pki = temp.resolve("pki");
        if (!Files.exists(pki.resolve("ca.crt"))) {
            ClusterFiles.create(pki, "demo", new SecureRandom(), Instant.now());
        }
        AgentConfig agent = AgentConfig.parse(agentYml, "agent.yml", pki);
        HostIdentity identity = new HostIdentity(name, address);
        HostPaths paths = new HostPaths(root);
        HostCertificate certificate = new HostCertificate(agent, identity, paths, new SecureRandom());
        certificate.ensure(Instant.now());
        return new HostContext(agent, identity, paths, new PackageSources(Platform.known().get("debian12")),
                binary -> Optional.ofNullable(installed.get(binary.getFileName().toString())), ROLES, supervisor,
                certificate);
    }

    @Override
    public void close() {
        supervisor.close();
    }
}
