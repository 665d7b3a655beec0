package io.pgha.resources;

import java.util.List;

/**
 * What a check or an apply of one resource found and did: {@code diff} lists how the host differed (before -> after),
 * {@code message} says what was changed or why it failed.
 */
public record Result(String id, Status status, String message, List<String> diff) {
    public Result {
        diff = List.copyOf(diff);
    }

    public Result(String id, Status status, String message) {
        this(id, status, message, List.of());
    }

    public static Result ok(String id) {
        return new Result(id, Status.OK, "");
    }

    /** A check found differences: apply would change them. */
    public static Result wouldChange(String id, List<String> diff) {
        return new Result(id, Status.CHANGED, "would change", diff);
    }

    public static Result changed(String id, String message) {
        return new Result(id, Status.CHANGED, message);
    }

    public static Result changed(String id, String message, List<String> diff) {
        return new Result(id, Status.CHANGED, message, diff);
    }

    public static Result failed(String id, String message) {
        return new Result(id, Status.FAILED, message);
    }

    public static Result failed(String id, String message, List<String> diff) {
        return new Result(id, Status.FAILED, message, diff);
    }
}
