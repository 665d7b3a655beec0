package io.pgha.model;

import java.util.Optional;

/**
 * A whole-cluster operation a data host takes part in, as its request key names it: the host converges to the
 * operation's current phase instead of its usual plan until the phase is {@code done}.
 */
public sealed interface DataPhase permits ClusterRestore, PostgresUpgrade {

    String phase();

    /** Under way: the host's plan is the operation's, not the usual one. */
    boolean active();

    /** One line for warnings and logs, e.g. "major upgrade 20261205T081500Z of PostgreSQL 17 to 18". */
    String describe();

    /** The operation a request asks for, if it is one; a malformed one is an IllegalArgumentException. */
    static Optional<DataPhase> of(HostRequest r) {
        Optional<DataPhase> restore = ClusterRestore.of(r).map(DataPhase.class::cast);
        return restore.isPresent() ? restore : PostgresUpgrade.of(r).map(DataPhase.class::cast);
    }
}
