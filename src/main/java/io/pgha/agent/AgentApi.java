package io.pgha.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgha.model.HostStatus;
import io.pgha.report.AgentMetrics;
import io.pgha.report.StatusLine;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * What the agent answers on api.listen: /health, /status and /metrics from the status it last assembled; /logs;
 * /certificates at its desk.
 */
final class AgentApi implements ApiServer.Endpoints {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String JSON_TYPE = "application/json";
    private static final String TEXT_TYPE = "text/plain; charset=utf-8";

    private final Supplier<HostStatus> latest;
    private final AgentMetrics metrics;
    private final HostLogs logs;
    private final CertificateDesk desk;

    AgentApi(Supplier<HostStatus> latest, AgentMetrics metrics, HostLogs logs, CertificateDesk desk) {
        this.latest = latest;
        this.metrics = metrics;
        this.logs = logs;
        this.desk = desk;
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

    @Override
    public ApiServer.Response logs(String program, int lines) {
        Optional<String> invalid = HostLogs.invalid("program", program, "lines", lines);
        if (invalid.isPresent()) {
            return new ApiServer.Response(400, TEXT_TYPE, invalid.get() + "\n");
        }
        try {
            return logs.tail(program, lines).map(l -> new ApiServer.Response(200, TEXT_TYPE,
                            l.isEmpty() ? "" : String.join("\n", l) + "\n"))
                    .orElseGet(() -> new ApiServer.Response(404, TEXT_TYPE, "no " + program + " log on this host: "
                            + program + " does not run here\n"));
        } catch (java.io.IOException e) {
            return new ApiServer.Response(500, TEXT_TYPE, program + "'s log unreadable: " + e.getMessage() + "\n");
        }
    }

    @Override
    public CompletableFuture<ApiServer.Response> certificates(String order, String peerUser, String peer) {
        return desk.answer(order, peerUser, peer);
    }
}
