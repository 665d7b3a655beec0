package io.pgha.cli;

import io.pgha.agent.Agent;
import io.pgha.agent.SystemdNotifier;
import io.pgha.dcs.EtcdDcs;
import io.pgha.model.AgentConfig;
import io.pgha.model.HostIdentity;
import io.pgha.model.HostPaths;
import io.pgha.model.InvalidSpecException;
import io.pgha.resources.InstalledVersions;
import io.pgha.resources.PackageSources;
import io.pgha.resources.Platform;
import io.pgha.roles.HostCertificate;
import io.pgha.roles.HostContext;
import io.pgha.runtime.Installation;
import io.pgha.runtime.Logging;
import io.pgha.supervise.Supervisor;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code pgha-agent}: the daemon, one per host. */
@Command(name = "pgha-agent", mixinStandardHelpOptions = true, versionProvider = AgentMain.Version.class,
        description = "Converges this host to the pgha cluster spec in etcd and reports its status.")
public final class AgentMain implements Callable<Integer> {
    private static final Duration ETCD_TIMEOUT = Duration.ofSeconds(5);
    /** A host waiting for its first certificates asks again this often: a refused or unanswered order costs little. */
    private static final Duration CERTIFICATE_RETRY = Duration.ofSeconds(2);

    @Option(names = "--config", paramLabel = "FILE", description = "agent.yml (default: ${DEFAULT-VALUE})")
    Path config = AgentConfig.DEFAULT_PATH;

    public static void main(String[] args) {
        Logging.routeJulToSlf4j();
        System.exit(new CommandLine(new AgentMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Logger log = LoggerFactory.getLogger(AgentMain.class);
        AgentConfig agent;
        try {
            agent = AgentConfig.load(config);
        } catch (InvalidSpecException e) {
            System.err.println(e.describe());
            return 2;
        } catch (IOException e) {
            System.err.println("cannot read " + config + ": " + e.getMessage());
            return 2;
        }
        HostIdentity identity = HostIdentity.resolve(agent);
        PackageSources packages = new PackageSources(Platform.detect()
                .orElseThrow(() -> new IOException("no apt-get, dnf or yum on this host")));
        HostPaths paths = new HostPaths(agent.root());
        Path roles = Installation.rolesDir(agent);
        log.info("pgha-agent {} starting on {} (Java {}): cluster {}, host {} ({}), root {}, roles {}",
                Installation.version(), packages.platform().description(), Runtime.version().feature(),
                agent.cluster(), identity.name(), identity.address(), paths.root(), roles);
        Supervisor supervisor = new Supervisor(paths.runDir());
        HostCertificate certificate = new HostCertificate(agent, identity, paths, new SecureRandom());
        String waitingFor = "";
        SystemdNotifier systemd = new SystemdNotifier();
        while (true) {
            long asked = System.nanoTime();
            try {
                certificate.ensure(Instant.now());
                break;
            } catch (HostCertificate.NotSigned e) {
                // A new host before its join secret, its place in the spec, or the etcd hosts' agents: worth waiting.
                if (!e.getMessage().equals(waitingFor)) {
                    log.warn("waiting for this host's certificates: {}", e.getMessage());
                    systemd.update("waiting for this host's certificates: " + e.getMessage(), false);
                    waitingFor = e.getMessage();
                }
                // An etcd host's agent holds an order the spec does not allow yet for a while, answering it when the
                // spec changes: after such an answer the next order goes at once.
                Thread.sleep(Math.max(0, CERTIFICATE_RETRY.toMillis() - (System.nanoTime() - asked) / 1_000_000));
            } catch (IOException e) {
                // The cluster's files are missing or wrong: an install problem that restarting will not mend.
                System.err.println("pgha-agent: cannot make this host's certificate: " + e.getMessage()
                        + " (copy ca.crt from pghactl init next to agent.yml; ca.key too on the etcd hosts)");
                return 2;
            }
        }
        try (EtcdDcs dcs = new EtcdDcs(agent.cluster(), agent.clientUrls(), ETCD_TIMEOUT, certificate.files())) {
            HostContext host = new HostContext(agent, identity, paths, packages, new InstalledVersions(), roles,
                    supervisor, certificate);
            new Agent(agent, host, dcs, dcs.admin(), Installation.version()).run();
        }
        return 0;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"pgha-agent " + Installation.version()};
        }
    }
}
