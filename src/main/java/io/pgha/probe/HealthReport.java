package io.pgha.probe;

import io.pgha.model.Health;
import java.util.ArrayList;
import java.util.List;

/**
 * What the probes found on a host: the engines' state for the status, and problems, each a reason why the host is not
 * healthy. No problems means healthy.
 */
public record HealthReport(Health health, List<String> problems) {
    public static final HealthReport NONE = new HealthReport(Health.NONE, List.of());

    public HealthReport {
        problems = List.copyOf(problems);
    }

    static HealthReport of(Health health, String... problems) {
        return new HealthReport(health, List.of(problems));
    }

    /** Both reports' parts and problems, as for a host with several roles. */
    public HealthReport and(HealthReport other) {
        List<String> all = new ArrayList<>(problems);
        all.addAll(other.problems);
        return new HealthReport(health.with(other.health), all);
    }
}
