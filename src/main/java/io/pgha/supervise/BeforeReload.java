package io.pgha.supervise;

import java.io.IOException;

/** Work done just before a program is signalled to reload: saving what its next generation reads at start. */
@FunctionalInterface
public interface BeforeReload {
    BeforeReload NOTHING = () -> {
    };

    void prepare() throws IOException;
}
