package io.pgha.dcs;

import io.pgha.model.AgentConfig;
import io.pgha.model.ClusterSpec;
import io.pgha.model.ClusterSpecParser;
import io.pgha.model.InvalidSpecException;
import java.io.IOException;
import java.util.Optional;

/** The spec stored in etcd, parsed as agent.yml has pghactl read it. */
public final class StoredSpec {
    private StoredSpec() {
    }

    /** Empty when no spec is stored; an InvalidSpecException naming each field when the stored one does not parse. */
    public static Optional<ClusterSpec> find(Dcs dcs, AgentConfig agent) throws DcsException, InvalidSpecException {
        Optional<Versioned<String>> text = dcs.spec();
        return text.isEmpty() ? Optional.empty()
                : Optional.of(new ClusterSpecParser(agent).parse(text.get().value(), "stored spec"));
    }

    /** The stored spec, or an IOException saying none is stored or what in the stored one does not parse. */
    public static ClusterSpec read(Dcs dcs, AgentConfig agent) throws DcsException, IOException {
        try {
            return find(dcs, agent).orElseThrow(() -> new IOException("no spec stored for cluster " + agent.cluster()
                    + " (pghactl apply -f cluster.yml)"));
        } catch (InvalidSpecException e) {
            throw new IOException(e.describe(), e);
        }
    }
}
