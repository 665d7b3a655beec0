package io.pgha.model;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Collectors;
import org.junit.jupiter.api.function.Executable;

/** Asserts that parsing fails with an error on a given field whose reason contains a given text. */
final class SpecAssertions {
    private SpecAssertions() {
    }

    static InvalidSpecException assertRefused(Executable parse, String field, String reasonPart) {
        InvalidSpecException e = assertThrows(InvalidSpecException.class, parse);
        String seen = e.errors().stream().map(SpecError::toString).collect(Collectors.joining("\n"));
        assertTrue(e.errors().stream().anyMatch(err -> err.field().equals(field) && err.reason().contains(reasonPart)),
                "expected an error on '" + field + "' containing '" + reasonPart + "', saw:\n" + seen);
        return e;
    }
}
