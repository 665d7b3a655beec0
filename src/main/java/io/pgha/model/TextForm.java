package io.pgha.model;

import java.io.IOException;

/**
 * How a value is kept as text (in etcd, in the agent's cache for etcd outages) and read back: what is read is what
 * was written.
 */
public interface TextForm<T> {
    String write(T value);

    /** The value {@code text} holds; fails, saying what was expected, on text this form did not write. */
    T read(String text) throws IOException;

    /** Text kept as it is: the spec (the operator's YAML), a list of URLs. */
    TextForm<String> PLAIN = new TextForm<>() {
        @Override
        public String write(String value) {
            return value;
        }

        @Override
        public String read(String text) {
            return text;
        }
    };
}
