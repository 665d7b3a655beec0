package io.pgha.report;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * What an agent tells the cluster about its host, stored as JSON under {@code /pgha/<cluster>/hosts/<host>/status}.
 * Never carries a secret.
 *
 * @param specRevision the spec generation last converged (0 before the first)
 * @param converged    the last converge under that spec left every resource as desired, and the host is healthy
 * @param problems     why the host is not healthy, from the probes (empty when healthy)
 * @param updated      when this status was assembled (epoch milliseconds)
 */
public record HostStatus(
        String host,
        String address,
        String role,
        @JsonProperty("spec_revision") long specRevision,
        boolean converged,
        List<ResourceLine> resources,
        List<ProcessLine> processes,
        Map<String, Object> health,
        List<String> problems,
        List<String> warnings,
        @JsonProperty("last_error") String lastError,
        @JsonProperty("agent_version") String agentVersion,
        @JsonProperty("agent_pid") long agentPid,
        long updated) {

    public record ResourceLine(String id, String status, String message) {
    }

    public record ProcessLine(String name, String state, long pid, int restarts,
                              @JsonProperty("last_exit") String lastExit) {
    }

    /** The same status stamped at another time: equal content means nothing worth writing changed. */
    public HostStatus at(long time) {
        return new HostStatus(host, address, role, specRevision, converged, resources, processes, health, problems,
                warnings, lastError, agentVersion, agentPid, time);
    }
}
