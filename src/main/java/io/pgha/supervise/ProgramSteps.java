package io.pgha.supervise;

import java.io.IOException;

/**
 * What the supervisor does for a program just before it starts it and just before it signals it to reload: keeping
 * what the program's next generation reads at start in step with the one that runs. A failed step is logged; the
 * start or reload goes on.
 */
public interface ProgramSteps {
    ProgramSteps NONE = new ProgramSteps() {
    };

    /** Before every start: the first, after a crash, after a restart. */
    default void beforeStart() throws IOException {
    }

    /** Just before the reload signal. */
    default void beforeReload() throws IOException {
    }
}
