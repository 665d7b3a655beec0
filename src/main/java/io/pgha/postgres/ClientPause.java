package io.pgha.postgres;

import java.io.IOException;

/**
 * The poolers' pause around a change of the leader's Postgres (a switchover, a restart in place), so that clients
 * through them wait instead of failing; {@link #NONE} without a pooler. The agent gives the real one
 * (SwitchoverPause, of the pooler package).
 */
public interface ClientPause {
    /** A pause under way: {@link #resumeOn} once the leader serves again, {@link #close} ends it in any case. */
    interface Paused extends AutoCloseable {
        /** The poolers resume once their HAProxy sends writes to {@code leader}; waits for them, boundedly. */
        void resumeOn(String leader) throws IOException, InterruptedException;

        @Override
        void close() throws IOException;
    }

    Paused pause() throws IOException, InterruptedException;

    Paused NOT_PAUSED = new Paused() {
        @Override
        public void resumeOn(String leader) {
        }

        @Override
        public void close() {
        }
    };

    ClientPause NONE = () -> NOT_PAUSED;
}
