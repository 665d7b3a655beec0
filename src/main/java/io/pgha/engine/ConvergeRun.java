package io.pgha.engine;

import io.pgha.resources.Result;
import io.pgha.resources.Status;
import java.util.List;

/** The results of one pass over a host's resources, in order. */
public record ConvergeRun(List<Result> results, long durationMillis) {
    public ConvergeRun {
        results = List.copyOf(results);
    }

    /** Every resource is as desired (nothing failed or was skipped). */
    public boolean converged() {
        return results.stream().allMatch(r -> r.status() == Status.OK || r.status() == Status.CHANGED);
    }

    public long count(Status status) {
        return results.stream().filter(r -> r.status() == status).count();
    }

    public List<Result> failures() {
        return results.stream().filter(r -> r.status() == Status.FAILED).toList();
    }

    /** The first resource that failed, with why: what a status names as the pass's error. */
    public java.util.Optional<String> firstFailure() {
        return failures().stream().map(r -> r.id() + ": " + r.message()).findFirst();
    }
}
