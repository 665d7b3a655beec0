package io.pgha.backup;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.model.BackupReport;
import io.pgha.model.HostRequest;
import io.pgha.model.HostStatus;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

/**
 * A job pghactl asks of one host's agent (a backup, a drill, a restore): put in the host's request key, then watched
 * for in the host's status until the agent reports it done, or the timeout.
 */
public final class HostJob {
    private final Dcs dcs;

    public HostJob(Dcs dcs) {
        this.dcs = dcs;
    }

    /** A host's status as its agent last published it, if it has one. */
    public Optional<HostStatus> status(String host) throws DcsException {
        return Optional.ofNullable(dcs.hostStatuses().readable().get(host));
    }

    /** Asks {@code host} for the job; returns its id. */
    public String ask(String host, String kind, String type, String time) throws DcsException {
        String id = UUID.randomUUID().toString();
        dcs.putRequest(host, new HostRequest(id, kind, type, time));
        return id;
    }

    /** The job once the agent reports it done; an IOException naming what was last seen at the timeout. */
    public BackupReport.Job await(String host, String id, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String seen = "no status from " + host;
        while (System.nanoTime() < deadline) {
            try {
                Optional<HostStatus> status = status(host);
                Optional<BackupReport.Job> job = status.map(HostStatus::backup).flatMap(b -> b.request(id));
                if (job.isPresent() && job.get().done()) {
                    return job.get();
                }
                seen = job.map(j -> j.kind() + " " + j.state() + " for " + Math.round(j.seconds(
                        System.currentTimeMillis())) + " s").orElse(host + " has not taken the request yet");
            } catch (DcsException e) {
                seen = "etcd: " + e.getMessage();
            }
            Thread.sleep(250);
        }
        throw new IOException("not done within " + timeout.toSeconds() + " s (last seen: " + seen + "); the job goes"
                + " on: pghactl status shows it");
    }
}
