package io.pgha.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.pgha.model.AgentConfig;
import io.pgha.model.InvalidSpecException;
import io.pgha.runtime.Installation;
import io.pgha.tls.ClusterFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

@Command(name = "init", mixinStandardHelpOptions = true,
        description = "Create a new cluster's files: agent.yml, the cluster CA and the admin certificate, in one"
                + " directory to copy to /etc/pgha-agent/ on every host.")
final class InitCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--cluster", required = true, paramLabel = "NAME", description = "the cluster's name")
    String cluster;

    @Option(names = "--member", required = true, split = ",", paramLabel = "NAME=ADDRESS",
            description = "an etcd member (repeat, or comma-separated): the static list of agent.yml")
    List<String> members;

    @Option(names = "--dir", paramLabel = "DIR",
            description = "where to write (must not hold a CA yet; default: pgha-CLUSTER)")
    Path dir;

    @Override
    public Integer call() throws IOException {
        Map<String, String> memberMap = new LinkedHashMap<>();
        for (String m : members) {
            int eq = m.indexOf('=');
            if (eq <= 0) {
                CtlMain.err(spec).println("--member: expected NAME=ADDRESS such as etcd1=10.0.0.1, found '" + m + "'");
                return CtlMain.BAD_INPUT;
            }
            memberMap.put(m.substring(0, eq), m.substring(eq + 1));
        }
        String yml = agentYml(cluster, memberMap);
        try {
            AgentConfig.parse(yml, "--cluster/--member");
        } catch (InvalidSpecException e) {
            CtlMain.err(spec).println(e.describe());
            return CtlMain.BAD_INPUT;
        }
        Path out = dir != null ? dir : Path.of("pgha-" + cluster);
        if (Files.exists(out.resolve("agent.yml"))) {
            CtlMain.err(spec).println(out.resolve("agent.yml") + " exists already: nothing written");
            return CtlMain.FAILURE;
        }
        try {
            ClusterFiles.create(out, cluster, new SecureRandom(), Instant.now());
        } catch (FileAlreadyExistsException e) {
            CtlMain.err(spec).println(e.getFile() + ": " + e.getReason() + "; nothing written");
            return CtlMain.FAILURE;
        }
        ClusterFiles.write(out.resolve("agent.yml"), yml, "rw-r--r--");
        PrintWriter o = CtlMain.out(spec);
        o.println("wrote " + out + "/: agent.yml, ca.crt, ca.key, admin.crt, admin.key");
        o.println("on every host:   install -m 0644 agent.yml ca.crt /etc/pgha-agent/");
        o.println("on the etcd hosts (" + String.join(", ", memberMap.keySet()) + ") only: also install -m 0600 ca.key"
                + " /etc/pgha-agent/");
        o.println("for each other host: " + Installation.ctl() + " --config " + out.resolve("agent.yml")
                + " host add NAME --address A, its output to /etc/pgha-agent/join.secret (mode 0600) on that host");
        o.println("where you run " + Installation.ctl() + ": also install -m 0600 admin.crt admin.key /etc/pgha-agent/");
        return CtlMain.OK;
    }

    /** agent.yml built as data: the cluster and its static etcd member list, the same on every host. */
    static String agentYml(String cluster, Map<String, String> members) throws IOException {
        ObjectMapper yaml = new ObjectMapper(YAMLFactory.builder()
                .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                .build());
        ObjectNode root = yaml.createObjectNode().put("cluster", cluster);
        ObjectNode m = root.putObject("etcd").putObject("members");
        members.forEach(m::put);
        return "# pgha-agent: the same file on every host (pghactl init wrote it; ca.crt sits beside it, and on the"
                + " etcd hosts ca.key).\n"
                + yaml.writeValueAsString(root);
    }
}
