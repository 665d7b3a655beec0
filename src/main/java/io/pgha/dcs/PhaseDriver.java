package io.pgha.dcs;

import io.pgha.model.HostRequest;
import io.pgha.model.HostStatus;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Moves data hosts through the phases of a whole-cluster operation (a restore, a major upgrade): each phase asked
 * through the hosts' request keys, and waited for as every host's status reads it back, under one deadline. Notes
 * go to the operator as they happen, with the seconds since the start.
 */
public final class PhaseDriver {
    private final Dcs dcs;
    private final PrintWriter notes;
    private final String whereItStays;
    private final long started = System.nanoTime();
    private final long deadline;

    /** Thrown by a wait's test when what it sees ends the wait at once: a host refused or failed its part. */
    public static final class Refused extends RuntimeException {
        public Refused(String message) {
            super(message);
        }
    }

    /** {@code whereItStays}: what a timeout's error adds, e.g. "The restore stays where it is (pghactl status)". */
    public PhaseDriver(Dcs dcs, PrintWriter notes, Duration timeout, String whereItStays) {
        this.dcs = dcs;
        this.notes = notes;
        this.whereItStays = whereItStays;
        this.deadline = started + timeout.toNanos();
    }

    public void ask(List<String> hosts, HostRequest request) throws DcsException {
        for (String host : hosts) {
            dcs.putRequest(host, request);
        }
    }

    public Map<String, HostStatus> statuses() throws DcsException {
        return dcs.hostStatuses().readable();
    }

    /**
     * Until {@code waitingFor} finds nothing missing on every host (a host without a status is waited for); the
     * deadline's error names, per host, what it still waited for.
     */
    public void await(String what, List<String> hosts, Function<HostStatus, Optional<String>> waitingFor)
            throws IOException, InterruptedException {
        await(what, hosts, false, waitingFor);
    }

    /**
     * {@link #await(String, List, Function)}, where {@code silentDone} lets a host without a status (its agent is
     * down, its lease ran out) count as done: it catches up from its request key when it is back. Returns those hosts.
     */
    public List<String> await(String what, List<String> hosts, boolean silentDone,
                              Function<HostStatus, Optional<String>> waitingFor)
            throws IOException, InterruptedException {
        Map<String, String> missing = new LinkedHashMap<>();
        List<String> silent = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            missing.clear();
            silent.clear();
            try {
                Map<String, HostStatus> all = statuses();
                for (String host : hosts) {
                    HostStatus s = all.get(host);
                    if (s == null && silentDone) {
                        silent.add(host);
                        continue;
                    }
                    Optional<String> why = s == null ? Optional.of("no status") : waitingFor.apply(s);
                    why.ifPresent(w -> missing.put(host, w));
                }
            } catch (DcsException e) {
                missing.put("etcd", e.getMessage());
            }
            if (missing.isEmpty()) {
                note(what + (silent.isEmpty() ? "" : " (" + String.join(", ", silent) + ": no status, left to catch"
                        + " up when back)") + " (" + String.format(Locale.ROOT, "%.1f", seconds()) + " s)");
                return List.copyOf(silent);
            }
            Thread.sleep(500);
        }
        List<String> lines = new ArrayList<>();
        missing.forEach((h, w) -> lines.add(h + ": " + w));
        throw new IOException("not done within the timeout: " + what + "; still waiting for " + String.join("; ",
                lines) + ". " + whereItStays);
    }

    /** Seconds since the driver was made. */
    public double seconds() {
        return (System.nanoTime() - started) / 1e9;
    }

    public Duration remaining() {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }

    public void note(String text) {
        notes.println(text);
        notes.flush();
    }
}
