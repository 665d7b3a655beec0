package io.pgha.model;

import java.util.List;
import java.util.stream.Collectors;

/** A document (agent.yml or a cluster spec) that failed validation; carries every error found, not just the first. */
public final class InvalidSpecException extends Exception {
    private final String source;
    private final List<SpecError> errors;

    public InvalidSpecException(String source, List<SpecError> errors) {
        super(source + ": " + errors.stream().map(SpecError::toString).collect(Collectors.joining("; ")));
        this.source = source;
        this.errors = List.copyOf(errors);
    }

    public String source() {
        return source;
    }

    public List<SpecError> errors() {
        return errors;
    }

    /** One error per line, each prefixed with the source, for terminals and logs. */
    public String describe() {
        return errors.stream().map(e -> source + ": " + e).collect(Collectors.joining("\n"));
    }
}
