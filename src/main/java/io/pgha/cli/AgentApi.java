package io.pgha.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgha.http.ApiServer;
import io.pgha.report.AgentMetrics;
import io.pgha.report.HostStatus;
import io.pgha.report.StatusLine;
import io.pgha.report.StatusPublisher;
import io.pgha.spec.AgentConfig;
import io.pgha.spec.HostIdentity;
import io.pgha.supervise.ProcessState;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What the agent answers on api.listen: /health, /status and /metrics, from the status it last assembled. */
final class AgentApi implements ApiServer.Endpoints {
    private static final Logger log = LoggerFactory.getLogger(AgentApi.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String JSON_TYPE = "application/json";

    private final Supplier<HostStatus> latest;
    private final AgentMetrics metrics;

    private AgentApi(Supplier<HostStatus> latest, AgentMetrics metrics) {
        this.latest = latest;
        this.metrics = metrics;
    }

    /** Listens on api.listen (default: this host's address, port 8010); without it the agent still works. */
    static Optional<ApiServer> start(AgentConfig config, HostIdentity identity, Supplier<HostStatus> latest,
                                     AgentMetrics metrics) {
        String listen = config.apiListen().orElse(identity.address() + ":" + AgentConfig.DEFAULT_API_PORT);
        int colon = listen.lastIndexOf(':');
        InetSocketAddress address = new InetSocketAddress(listen.substring(0, colon),
                Integer.parseInt(listen.substring(colon + 1)));
        try {
            ApiServer server = new ApiServer(address, new AgentApi(latest, metrics));
            log.info("HTTP endpoint on http://{}/health, /status, /metrics", listen);
            return Optional.of(server);
        } catch (InterruptedException | RuntimeException e) {
            log.error("cannot listen on {} (api.listen): {}; running without the HTTP endpoint", listen, e.toString());
            return Optional.empty();
        }
    }

    /** 200 when converged and healthy; 503 with every reason otherwise. */
    @Override
    public ApiServer.Response health() {
        HostStatus s = latest.get();
        List<String> reasons = new ArrayList<>();
        if (s == null) {
            reasons.add("starting: no status assembled yet");
        } else {
            if (!s.lastError().isEmpty()) {
                reasons.add(s.lastError());
            }
            reasons.addAll(s.problems());
            s.processes().stream().filter(p -> !p.state().equals(ProcessState.RUNNING))
                    .forEach(p -> reasons.add(p.name() + " is " + p.state() + " (" + p.lastExit() + ")"));
            if (!s.converged() && reasons.isEmpty()) {
                reasons.add(s.specRevision() == 0 ? "no spec converged yet" : "converging spec rev " + s.specRevision());
            }
        }
        ObjectNode body = JSON.createObjectNode().put("healthy", reasons.isEmpty())
                .put("status", s == null ? "" : StatusLine.of(s));
        reasons.forEach(body.putArray("reasons")::add);
        return new ApiServer.Response(reasons.isEmpty() ? 200 : 503, JSON_TYPE, body + "\n");
    }

    @Override
    public ApiServer.Response status() {
        HostStatus s = latest.get();
        return s == null ? new ApiServer.Response(503, JSON_TYPE, "{\"starting\":true}\n")
                : new ApiServer.Response(200, JSON_TYPE, StatusPublisher.toJson(s) + "\n");
    }

    @Override
    public ApiServer.Response metrics() {
        return new ApiServer.Response(200, AgentMetrics.contentType(), metrics.scrape());
    }
}
