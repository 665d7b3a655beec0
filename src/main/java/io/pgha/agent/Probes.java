package io.pgha.agent;

import io.pgha.model.Role;
import io.pgha.probe.DiskSampler;
import io.pgha.probe.HealthReport;
import java.util.Map;
import java.util.Set;

/**
 * The probes' latest findings, as one immutable value.
 *
 * @param roles    the roles the health probes looked at: health counts only once they looked at the roles of now
 * @param revision the spec generation the probes compared what is in effect with (0: none)
 */
record Probes(HealthReport health, Set<Role> roles, long revision, Map<String, DiskSampler.Report> disk) {
    static final Probes NONE = new Probes(HealthReport.NONE, Set.of(), 0, Map.of());

    Probes {
        roles = Role.ordered(roles);
        // In role order: warnings name the directories in that order.
        disk = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(disk));
    }
}
