package io.pgha.converge;

import io.pgha.resource.Resource;
import io.pgha.resource.Result;
import io.pgha.resource.Status;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a host's resources in order, one converge at a time. Like an Ansible play on one host, the first
 * failure stops the pass: later resources (the program after its config file) depend on earlier ones.
 */
public final class Converger {
    private static final Logger log = LoggerFactory.getLogger(Converger.class);

    /** Only the checks: resource id to its differences, for resources that differ. Changes nothing. */
    public Map<String, List<String>> plan(List<Resource> resources) {
        Map<String, List<String>> plan = new LinkedHashMap<>();
        for (Resource r : resources) {
            List<String> diff = r.check();
            if (!diff.isEmpty()) {
                plan.put(r.id(), diff);
            }
        }
        return plan;
    }

    public synchronized ConvergeRun apply(List<Resource> resources) {
        long start = System.nanoTime();
        List<Result> results = new ArrayList<>();
        Result failed = null;
        for (Resource r : resources) {
            if (failed != null) {
                results.add(new Result(r.id(), Status.SKIPPED, "after the failure of " + failed.id()));
                continue;
            }
            Result result = r.apply();
            results.add(result);
            switch (result.status()) {
                case CHANGED -> log.info("changed {}: {}", result.id(), result.message());
                case FAILED -> {
                    log.error("failed {}: {}", result.id(), result.message());
                    failed = result;
                }
                default -> {
                    if (!result.message().isEmpty()) {
                        log.info("ok {}: {}", result.id(), result.message());
                    }
                }
            }
        }
        return new ConvergeRun(results, (System.nanoTime() - start) / 1_000_000);
    }
}
