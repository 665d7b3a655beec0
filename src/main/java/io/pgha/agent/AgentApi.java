package io.pgha.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgha.model.HostStatus;
import io.pgha.report.AgentMetrics;
import io.pgha.report.StatusLine;
import java.util.List;
import java.util.function.Supplier;

/** What the agent answers on api.listen: /health, /status and /metrics, from the status it last assembled. */
final class AgentApi implements ApiServer.Endpoints {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String JSON_TYPE = "application/json";

    private final Supplier<HostStatus> latest;
    private final AgentMetrics metrics;

    AgentApi(Supplier<HostStatus> latest, AgentMetrics metrics) {
        this.latest = latest;
        this.metrics = metrics;
    }

    /** 200 when converged and healthy; 503 with every reason otherwise. */
    @Override
    public ApiServer.Response health() {
        HostStatus s = latest.get();
        List<String> reasons = reasons(s);
        ObjectNode body = JSON.createObjectNode().put("healthy", reasons.isEmpty())
                .put("status", s == null ? "" : StatusLine.of(s));
        reasons.forEach(body.putArray("reasons")::add);
        return new ApiServer.Response(reasons.isEmpty() ? 200 : 503, JSON_TYPE, body + "\n");
    }

    static List<String> reasons(HostStatus s) {
        return s == null ? List.of("starting: no status assembled yet") : s.unhealthyReasons();
    }

    @Override
    public ApiServer.Response status() {
        HostStatus s = latest.get();
        return s == null ? new ApiServer.Response(503, JSON_TYPE, "{\"starting\":true}\n")
                : new ApiServer.Response(200, JSON_TYPE, HostStatus.TEXT.write(s) + "\n");
    }

    @Override
    public ApiServer.Response metrics() {
        return new ApiServer.Response(200, AgentMetrics.contentType(), metrics.scrape());
    }
}
