package io.pgha.dcs;

import java.io.IOException;
import java.util.Optional;

/** A cluster-wide lock on a lease: it frees itself if its holder dies. */
public interface Lock {
    /** The lock if it was free, else empty. */
    Optional<Held> tryAcquire() throws IOException;

    /** A held lock: refreshed while the work under it is under way, released on close. */
    interface Held extends AutoCloseable {
        void refresh() throws IOException;

        @Override
        void close() throws IOException;
    }
}
