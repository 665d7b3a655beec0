package io.pgha.agent;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.model.ClusterSpec;
import io.pgha.model.Role;
import io.pgha.pooler.SwitchoverPause;
import io.pgha.postgres.ClientPause;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's agent pausing the lb hosts' poolers for its own switchover or restart in a rolling restart, as
 * pghactl switchover does (see {@link SwitchoverPause}); nothing to pause without a pooler in the spec.
 */
final class PoolerClientPause implements ClientPause {
    private static final Logger log = LoggerFactory.getLogger(PoolerClientPause.class);
    /** How long the leader's agent waits for the poolers to resume before it ends the pause by deleting the key. */
    private static final Duration RESUME_WAIT = Duration.ofSeconds(30);

    private final Dcs dcs;
    private final Supplier<Optional<ClusterSpec>> spec;

    PoolerClientPause(Dcs dcs, Supplier<Optional<ClusterSpec>> spec) {
        this.dcs = dcs;
        this.spec = spec;
    }

    @Override
    public Paused pause() throws IOException, InterruptedException {
        Optional<ClusterSpec> s = spec.get();
        if (s.flatMap(ClusterSpec::pooler).isEmpty()) {
            return NOT_PAUSED;
        }
        SwitchoverPause pause;
        try {
            pause = SwitchoverPause.begin(dcs, s.get().hostsWith(Role.LB).stream().map(ClusterSpec.Host::name)
                    .toList());
        } catch (DcsException e) {
            throw new IOException("cannot pause the poolers: " + e.getMessage(), e);
        }
        log.info("poolers paused on {}", pause.paused());
        pause.left().forEach(why -> log.warn("pooler not paused: {}", why));
        return new Paused() {
            @Override
            public void resumeOn(String leader) throws IOException, InterruptedException {
                try {
                    List<String> late = pause.resumeOn(leader, RESUME_WAIT);
                    if (!late.isEmpty()) {
                        log.warn("poolers on {} had not resumed within {} s; ending the pause", late,
                                RESUME_WAIT.toSeconds());
                    }
                } catch (DcsException e) {
                    throw new IOException("cannot resume the poolers: " + e.getMessage(), e);
                }
            }

            @Override
            public void close() throws IOException {
                try {
                    pause.close();
                } catch (DcsException e) {
                    throw new IOException("cannot end the poolers' pause (its lease ends it): " + e.getMessage(), e);
                }
            }
        };
    }
}
