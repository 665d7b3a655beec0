package io.pgha.engine;

import io.pgha.resources.Resource;
import io.pgha.resources.Result;
import io.pgha.resources.Status;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pass over a host's resources in order: {@link #plan} looks, {@link #apply} changes, and both are the same
 * {@code checkApply} pass, so the plan shows exactly what apply would do. Like an Ansible play on one host, the first
 * failure stops the pass: later resources (the program after its config file) depend on earlier ones.
 */
public final class Converger {
    private static final Logger log = LoggerFactory.getLogger(Converger.class);

    /** Only the checks, changing nothing: the resources that differ (with their differences) or cannot be checked. */
    public List<Result> plan(List<Resource> resources) {
        return run(resources, false).results().stream().filter(r -> r.status() != Status.OK).toList();
    }

    public synchronized ConvergeRun apply(List<Resource> resources) {
        return run(resources, true);
    }

    private ConvergeRun run(List<Resource> resources, boolean apply) {
        long start = System.nanoTime();
        List<Result> results = new ArrayList<>();
        Result failed = null;
        for (Resource r : resources) {
            if (failed != null && apply) {
                results.add(new Result(r.id(), Status.SKIPPED, "after the failure of " + failed.id()));
                continue;
            }
            Result result = r.checkApply(apply);
            results.add(result);
            if (!apply) {
                continue;
            }
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
