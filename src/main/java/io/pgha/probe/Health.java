package io.pgha.probe;

import java.util.List;
import java.util.Map;

/**
 * What the probes found on a host: details for the status key, and problems, each a reason why the host is not
 * healthy. No problems means healthy.
 */
public record Health(Map<String, Object> details, List<String> problems) {
    public static final Health NONE = new Health(Map.of(), List.of());

    public Health {
        details = Map.copyOf(details);
        problems = List.copyOf(problems);
    }
}
