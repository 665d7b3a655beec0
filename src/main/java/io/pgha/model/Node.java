package io.pgha.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A position in a parsed YAML document that knows its dotted path, so that every error names the field.
 * Readers report problems into the shared list and return a usable default, so one pass finds all errors.
 */
final class Node {
    private final JsonNode json;
    private final String path;
    private final List<SpecError> errors;

    private Node(JsonNode json, String path, List<SpecError> errors) {
        this.json = json == null || json.isNull() ? MissingNode.getInstance() : json;
        this.path = path;
        this.errors = errors;
    }

    static Node root(JsonNode json, List<SpecError> errors) {
        return new Node(json, "", errors);
    }

    String path() {
        return path.isEmpty() ? "(document)" : path;
    }

    boolean isMissing() {
        return json.isMissingNode();
    }

    /** Every error recorded so far in this document. */
    List<SpecError> errors() {
        return errors;
    }

    void error(String reason) {
        errors.add(new SpecError(path(), reason));
    }

    Node field(String name) {
        JsonNode child = json.isObject() ? json.get(name) : null;
        return new Node(child, path.isEmpty() ? name : path + "." + name, errors);
    }

    /** Reports keys other than {@code allowed}; a missing node is fine, a non-mapping is an error. */
    boolean expectMapping(Set<String> allowed) {
        if (isMissing()) {
            return false;
        }
        if (!json.isObject()) {
            error("expected a mapping, found " + kind());
            return false;
        }
        for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!allowed.contains(key)) {
                Node unknown = field(key);
                unknown.error("unknown key (expected one of " + new TreeSet<>(allowed) + ")");
            }
        }
        return true;
    }

    /** The entries of a mapping whose keys are free-form (host names, parameter names). */
    Map<String, Node> entries() {
        Map<String, Node> out = new LinkedHashMap<>();
        if (isMissing()) {
            return out;
        }
        if (!json.isObject()) {
            error("expected a mapping, found " + kind());
            return out;
        }
        json.fields().forEachRemaining(e -> out.put(e.getKey(), field(e.getKey())));
        return out;
    }

    List<Node> items() {
        List<Node> out = new ArrayList<>();
        if (isMissing()) {
            return out;
        }
        if (!json.isArray()) {
            error("expected a list, found " + kind());
            return out;
        }
        for (int i = 0; i < json.size(); i++) {
            out.add(new Node(json.get(i), path + "[" + i + "]", errors));
        }
        return out;
    }

    /** A scalar as text (numbers and booleans too); empty when missing or not a scalar (the latter reported). */
    Optional<String> text() {
        if (isMissing()) {
            return Optional.empty();
        }
        if (!json.isValueNode()) {
            error("expected a single value, found " + kind());
            return Optional.empty();
        }
        return Optional.of(json.asText());
    }

    String requiredText() {
        if (isMissing()) {
            error("is required");
            return "";
        }
        return text().orElse("");
    }

    long integer(long fallback, long min, long max) {
        if (isMissing()) {
            return fallback;
        }
        if (!json.isIntegralNumber() || !json.canConvertToLong()) {
            error("expected a whole number, found " + describeValue());
            return fallback;
        }
        long value = json.asLong();
        if (value < min || value > max) {
            error("must be between " + min + " and " + max + ", found " + value);
            return fallback;
        }
        return value;
    }

    double decimal(double fallback, double min, double max) {
        if (isMissing()) {
            return fallback;
        }
        if (!json.isNumber() || !Double.isFinite(json.asDouble())) {
            error("expected a number, found " + describeValue());
            return fallback;
        }
        double value = json.asDouble();
        if (value < min || value > max) {
            error("must be between " + min + " and " + max + ", found " + json.asText());
            return fallback;
        }
        return value;
    }

    boolean bool(boolean fallback) {
        return bool(fallback, "true or false");
    }

    /** A boolean where the field also takes words of its own ({@code expected} names them all). */
    boolean bool(boolean fallback, String expected) {
        if (isMissing()) {
            return fallback;
        }
        if (!json.isBoolean()) {
            error("expected " + expected + ", found " + describeValue());
            return fallback;
        }
        return json.asBoolean();
    }

    /** Whether the value is this very text (not a number or boolean that prints so). */
    boolean isText(String value) {
        return !isMissing() && json.isTextual() && json.asText().equals(value);
    }

    boolean isScalar() {
        return json.isValueNode();
    }

    private String kind() {
        if (json.isObject()) {
            return "a mapping";
        }
        if (json.isArray()) {
            return "a list";
        }
        return describeValue();
    }

    private String describeValue() {
        if (json.isTextual()) {
            return "text '" + Values.printable(json.asText()) + "'";
        }
        if (json.isValueNode()) {
            return json.getNodeType().name().toLowerCase() + " " + json.asText();
        }
        return kind();
    }
}
