package io.pgha.postgres;

import io.pgha.dcs.Lock;
import java.io.IOException;
import java.time.Duration;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Waits, keeping the restart lock refreshed, until this member's Patroni reports what the caller waits for. */
final class MemberWait {
    private static final Logger log = LoggerFactory.getLogger(MemberWait.class);
    private static final long POLL_MILLIS = 500;

    private MemberWait() {
    }

    /** The member once {@code done} holds; an IOException saying {@code failure} after {@code limit}. */
    static PatroniClient.Member until(PatroniApi patroni, Lock.Held held, Duration limit,
                                      Predicate<PatroniClient.Member> done, String failure)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            held.refresh();
            try {
                PatroniClient.Member me = patroni.member();
                if (done.test(me)) {
                    return me;
                }
            } catch (IOException e) {
                // Patroni answers slowly or not at all while it restarts Postgres.
                log.debug("Patroni busy: {}", e.getMessage());
            }
            Thread.sleep(POLL_MILLIS);
        }
        throw new IOException(failure);
    }
}
