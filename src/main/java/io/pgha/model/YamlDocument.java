package io.pgha.model;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.util.List;

/** Parses YAML text into a tree; syntax errors become a {@link SpecError} on the pseudo-field {@code (yaml)}. */
final class YamlDocument {
    private static final ObjectMapper YAML = new ObjectMapper(
            YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());

    private YamlDocument() {
    }

    /** The root node, or null with an error recorded. */
    static JsonNode parse(String text, List<SpecError> errors) {
        if (text.isBlank()) {
            errors.add(new SpecError("(document)", "is empty: expected a YAML mapping"));
            return null;
        }
        try {
            JsonNode root = YAML.readTree(text);
            if (root == null || root.isMissingNode() || root.isNull() || (root.isTextual() && root.asText().isEmpty())) {
                errors.add(new SpecError("(document)", "is empty: expected a YAML mapping"));
                return null;
            }
            if (!root.isObject()) {
                errors.add(new SpecError("(document)", "expected a YAML mapping at the top level, found "
                        + root.getNodeType().name().toLowerCase()));
                return null;
            }
            return root;
        } catch (JacksonException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : "line " + at.getLineNr() + ", column " + at.getColumnNr() + ": ";
            errors.add(new SpecError("(yaml)", where + "malformed YAML: " + e.getOriginalMessage()));
            return null;
        }
    }
}
