package io.pgha.postgres;

import io.pgha.model.LeaderChange;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * {@code pghactl history}: Patroni's timeline switches (when, and who leads after) joined with the recorded
 * {@link LeaderChange}s (why, and who led before). A switch a record explains takes its why; one none explains was
 * Patroni's own failover, after the leader's lease ran out. A restore's record no switch explains is a row of its own.
 */
public final class LeaderHistory {
    /** A record explains a switch made at most this long after it was asked for (a switchover's wait, a clone). */
    static final long MATCH_BEFORE_MS = 120_000;
    /** ... or this long before it (the asker's clock against the new leader's). */
    static final long MATCH_AFTER_MS = 5_000;
    static final String UNRECORDED = "no request recorded: Patroni's own, once the leader's lease ran out";

    /**
     * @param timeline the timeline that began
     * @param at       when (epoch ms), 0 when unknown
     */
    public record Row(long timeline, long at, String from, String to, String why, String detail) {
    }

    private LeaderHistory() {
    }

    public static List<Row> join(List<PatroniClient.TimelineSwitch> switches, List<LeaderChange> records) {
        List<LeaderChange> unused = new ArrayList<>(records);
        List<Row> rows = new ArrayList<>();
        String before = "";
        for (PatroniClient.TimelineSwitch s : switches) {
            long at = epochMillis(s.at());
            Optional<LeaderChange> r = explaining(s, at, unused);
            r.ifPresent(unused::remove);
            String from = r.map(LeaderChange::from).filter(f -> !f.isEmpty()).orElse(before);
            rows.add(new Row(s.timeline() + 1, at, from, s.newLeader(), r.map(LeaderChange::why)
                    .orElse(LeaderChange.FAILOVER), r.map(LeaderHistory::detail).orElse(UNRECORDED)));
            before = s.newLeader();
        }
        unused.stream().filter(c -> c.why().equals(LeaderChange.RESTORE)).forEach(c -> rows.add(
                new Row(c.timeline(), c.at(), c.from(), c.to(), c.why(), detail(c))));
        rows.sort(Comparator.comparingLong(Row::timeline).thenComparingLong(Row::at));
        return rows;
    }

    private static Optional<LeaderChange> explaining(PatroniClient.TimelineSwitch s, long at, List<LeaderChange> in) {
        Optional<LeaderChange> byTimeline = in.stream().filter(c -> c.timeline() == s.timeline() + 1).findFirst();
        if (byTimeline.isPresent() || at == 0) {
            return byTimeline;
        }
        return in.stream().filter(c -> c.timeline() == 0)
                .filter(c -> c.to().isEmpty() || c.to().equals(s.newLeader()))
                .filter(c -> c.at() >= at - MATCH_BEFORE_MS && c.at() <= at + MATCH_AFTER_MS)
                .min(Comparator.comparingLong(c -> Math.abs(at - c.at())));
    }

    private static String detail(LeaderChange c) {
        return (c.detail().isEmpty() ? "" : c.detail() + ", ") + "by " + c.by();
    }

    /** Patroni writes the switch's time as ISO 8601 with an offset; 0 when it cannot be read. */
    static long epochMillis(String at) {
        try {
            return OffsetDateTime.parse(at).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            try {
                return Instant.parse(at).toEpochMilli();
            } catch (DateTimeParseException again) {
                return 0;
            }
        }
    }
}
