package io.pgha.postgres;

import java.io.IOException;
import java.util.List;

/** What the agent asks of one Patroni member's REST API: what {@link RollingRestart}, {@link ReplicaRepair} and
 * {@link FailsafeMemory} need, and no more. */
public interface PatroniApi {
    PatroniClient.Member member() throws IOException;

    List<PatroniClient.ClusterMember> cluster() throws IOException;

    /** Restarts this member's Postgres (Patroni stays up). */
    void restart() throws IOException;

    /** Has Patroni compare its configuration with Postgres' again and reload Postgres (Patroni stays up). */
    void reload() throws IOException;

    /** Has Patroni wipe this replica's data directory and clone it from the leader again. */
    void reinitialize() throws IOException;

    /** See {@link FailsafeMemory}. */
    void forgetFailsafeLeader() throws IOException;

    /** Pauses Patroni cluster-wide (no automatic failover) or resumes it: {@code pause} in its dynamic config. */
    void pause(boolean on) throws IOException;

    /** A planned switchover from {@code leader} to {@code candidate}; Patroni answers once it happened. */
    String switchover(String leader, String candidate) throws IOException;
}
