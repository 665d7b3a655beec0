package io.pgha.roles;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A text template with {@code {{name}}} placeholders and {@code {{#list}} ... {{/list}}} blocks repeated per row.
 * Every placeholder must have a value: a typo in a template fails loudly instead of writing "{{adress}}" into a
 * config file. Values must already be validated; this class does no escaping.
 */
final class Template {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([a-z_]+)}}");
    private static final Pattern BLOCK = Pattern.compile("(?m)^\\{\\{#([a-z_]+)}}\\n(.*?)^\\{\\{/\\1}}\\n",
            Pattern.DOTALL);

    private final String text;
    private final String source;

    Template(String text, String source) {
        this.text = text;
        this.source = source;
    }

    String render(Map<String, String> values, Map<String, List<Map<String, String>>> lists) {
        Matcher blocks = BLOCK.matcher(text);
        StringBuilder out = new StringBuilder();
        while (blocks.find()) {
            List<Map<String, String>> rows = lists.get(blocks.group(1));
            if (rows == null) {
                throw new IllegalArgumentException(source + ": no list '" + blocks.group(1) + "' for its block");
            }
            StringBuilder repeated = new StringBuilder();
            for (Map<String, String> row : rows) {
                Map<String, String> scope = new java.util.HashMap<>(values);
                scope.putAll(row);
                repeated.append(fill(blocks.group(2), scope));
            }
            blocks.appendReplacement(out, Matcher.quoteReplacement(repeated.toString()));
        }
        blocks.appendTail(out);
        return fill(out.toString(), values);
    }

    private String fill(String part, Map<String, String> values) {
        Matcher m = PLACEHOLDER.matcher(part);
        StringBuilder out = new StringBuilder();
        List<String> missing = new ArrayList<>();
        while (m.find()) {
            String value = values.get(m.group(1));
            if (value == null) {
                missing.add(m.group(1));
                value = "";
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(source + ": no value for " + missing);
        }
        return out.toString();
    }
}
