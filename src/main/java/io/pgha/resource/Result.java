package io.pgha.resource;

/** What applying a resource did; {@code message} says what changed or why it failed. */
public record Result(String id, Status status, String message) {
    public static Result ok(String id) {
        return new Result(id, Status.OK, "");
    }

    public static Result changed(String id, String message) {
        return new Result(id, Status.CHANGED, message);
    }

    public static Result failed(String id, String message) {
        return new Result(id, Status.FAILED, message);
    }
}
