package io.pgha.model;

/** One validation failure: the field it concerns (a dotted path such as {@code hosts.pg1.role}) and why. */
public record SpecError(String field, String reason) {
    @Override
    public String toString() {
        return field + ": " + reason;
    }
}
