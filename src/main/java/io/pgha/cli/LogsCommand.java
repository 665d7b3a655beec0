package io.pgha.cli;

import io.pgha.agent.HostLogs;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.StoredSpec;
import io.pgha.model.AgentConfig;
import io.pgha.model.ClusterSpec;
import io.pgha.net.HttpText;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

@Command(name = "logs", mixinStandardHelpOptions = true,
        description = "The last lines of a program's log on a host, from its agent over https with pghactl's admin"
                + " certificate (the agents show logs to no one else).")
final class LogsCommand implements Callable<Integer> {
    @CommandLine.ParentCommand
    CtlMain ctl;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "HOST", description = "a host of the spec")
    String host;

    @Option(names = "--program", paramLabel = "NAME", defaultValue = "agent",
            description = "agent, patroni, postgres, etcd, haproxy, keepalived or pgbouncer"
                    + " (default: ${DEFAULT-VALUE})")
    String program;

    @Option(names = "--lines", paramLabel = "N", defaultValue = "100",
            description = "how many of the last lines, 1 to 10000 (default: ${DEFAULT-VALUE})")
    int lines;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "15",
            description = "how long the agent may take to answer (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Option(names = "--json", description = "the lines as JSON")
    boolean json;

    @Override
    public Integer call() throws CtlMain.BadInputException, DcsException, IOException {
        CtlMain.badInput(HostLogs.invalid("--program", program, "--lines", lines));
        CtlMain.checkTimeout(timeoutSeconds);
        AgentConfig agent = ctl.agentConfig();
        ClusterSpec cluster;
        try (Dcs dcs = ctl.dcs(agent)) {
            cluster = StoredSpec.read(dcs, agent);
        }
        Optional<ClusterSpec.Host> target = cluster.host(host);
        if (target.isEmpty()) {
            throw new CtlMain.BadInputException("HOST: expected a host of the spec, one of "
                    + cluster.hosts().keySet() + ", found '" + host + "'");
        }
        String url = "https://" + target.get().address() + ":" + agent.apiPort() + "/logs?program="
                + URLEncoder.encode(program, StandardCharsets.UTF_8) + "&lines=" + lines;
        HttpResponse<String> answer = new HttpText(Duration.ofSeconds(timeoutSeconds),
                CtlMain.adminTls(agent).sslContext()).get(url);
        if (answer.statusCode() != 200) {
            CtlMain.err(spec).println(host + "'s agent: HTTP " + answer.statusCode() + ": " + answer.body().strip());
            return CtlMain.FAILURE;
        }
        if (json) {
            List<String> text = answer.body().isEmpty() ? List.of() : Arrays.asList(answer.body().split("\n"));
            CtlMain.printJson(spec, Map.of("host", host, "program", program, "lines", text));
        } else {
            PrintWriter out = CtlMain.out(spec);
            out.print(answer.body());
            out.flush();
        }
        return CtlMain.OK;
    }
}
