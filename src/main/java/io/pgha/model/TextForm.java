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

    /** Reads text back into a value; fails, saying what was expected, on text it cannot read. */
    interface Reader<T> {
        T read(String text) throws IOException;
    }

    /** The form that writes with {@code writer} and reads with {@code reader}. */
    static <T> TextForm<T> of(java.util.function.Function<T, String> writer, Reader<T> reader) {
        return new TextForm<>() {
            @Override
            public String write(T value) {
                return writer.apply(value);
            }

            @Override
            public T read(String text) throws IOException {
                return reader.read(text);
            }
        };
    }

    /** Text kept as it is: the spec (the operator's YAML), a list of URLs. */
    TextForm<String> PLAIN = of(text -> text, text -> text);
}
