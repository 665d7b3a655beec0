package io.pgha.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a host's agent did with pgBackRest, as the repository (or a restore host) reports it: the repository's
 * backups as {@code pgbackrest info} lists them, and the jobs the agent ran (backups, drills, restores), each the
 * last of its kind plus any running.
 *
 * @param stanza  "ok" once the stanza exists and matches the cluster, else why not
 * @param backups oldest first, as pgBackRest keeps them
 * @param walMin  the oldest WAL segment in the repository's archive, empty when none
 * @param walMax  the newest
 * @param jobs    the last job of each kind, and the one running; a job asked for by {@code pghactl} carries its id
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record BackupReport(String stanza, List<BackupSet> backups, @JsonProperty("wal_min") String walMin,
                           @JsonProperty("wal_max") String walMax, List<Job> jobs) {
    public static final String OK = "ok";

    public BackupReport {
        stanza = Objects.requireNonNullElse(stanza, "");
        backups = List.copyOf(Objects.requireNonNullElse(backups, List.of()));
        walMin = Objects.requireNonNullElse(walMin, "");
        walMax = Objects.requireNonNullElse(walMax, "");
        jobs = List.copyOf(Objects.requireNonNullElse(jobs, List.of()));
    }

    /**
     * One backup in the repository. Times are epoch seconds, sizes bytes: {@code size} the database as backed up,
     * {@code repoSize} what it takes in the repository (compressed, and only the changed files for diff and incr).
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record BackupSet(String label, String type, long start, long stop, long size,
                            @JsonProperty("repo_size") long repoSize, @JsonProperty("wal_start") String walStart,
                            @JsonProperty("wal_stop") String walStop) {
    }

    /**
     * One job: {@code kind} backup, drill or restore; {@code state} running, ok or failed; times epoch milliseconds
     * ({@code finished} 0 while running). {@code detail}: what it did (the backup's label, the drill's check, where a
     * restored copy runs) or why it failed. {@code address} and {@code port}: where a restored copy accepts
     * connections, for a restore.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Job(String kind, String id, String type, String state, long started, long finished, String detail,
                      String address, Integer port) {
        public static final String RUNNING = "running";
        public static final String OK = "ok";
        public static final String FAILED = "failed";

        public Job {
            id = Objects.requireNonNullElse(id, "");
            type = Objects.requireNonNullElse(type, "");
            detail = Objects.requireNonNullElse(detail, "");
        }

        @JsonIgnore
        public boolean done() {
            return !RUNNING.equals(state);
        }

        /** Seconds from start to finish (or to now, while running). */
        public double seconds(long nowMillis) {
            return ((finished == 0 ? nowMillis : finished) - started) / 1000.0;
        }
    }

    /** The last (or running) job of a kind. */
    public Optional<Job> job(String kind) {
        return jobs.stream().filter(j -> j.kind().equals(kind)).reduce((a, b) -> b.started() >= a.started() ? b : a);
    }

    /** The job asked for with {@code id}. */
    public Optional<Job> request(String id) {
        return jobs.stream().filter(j -> j.id().equals(id)).findFirst();
    }

    /**
     * What needs an operator's eye: a stanza not ready, the last backup or drill failed (every pghactl status shows
     * a host's warnings), no backup yet.
     */
    public List<String> warnings() {
        List<String> out = new java.util.ArrayList<>();
        if (!stanza.isEmpty() && !stanza.equals(OK)) {
            out.add("backup: " + stanza);
        }
        for (String kind : List.of("backup", "drill", "restore")) {
            job(kind).filter(j -> Job.FAILED.equals(j.state())).ifPresent(j -> out.add(kind + " failed at "
                    + java.time.Instant.ofEpochMilli(j.finished()) + ": " + j.detail()));
        }
        if (stanza.equals(OK) && backups.isEmpty() && job("backup").map(Job::done).orElse(true)) {
            out.add("backup: the repository holds no backup yet");
        }
        return out;
    }

    public Optional<BackupSet> latest() {
        return backups.isEmpty() ? Optional.empty() : Optional.of(backups.get(backups.size() - 1));
    }
}
