package io.pgha.lab;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** The lines a {@link LabWriter} reported, and what they say: which rows were acknowledged, and when. */
public final class WriteLog {
    /** @param detail what the writer said beyond the kind: the row's id, or why the write failed */
    public record Event(long millis, String kind, long id, String detail) {
    }

    private final List<Event> events = new ArrayList<>();

    public synchronized void add(String line) {
        String[] f = line.split(" ", 3);
        if (f.length < 2 || !f[0].matches("\\d+")) {
            return;
        }
        long id = f[1].equals("ack") && f.length == 3 ? Long.parseLong(f[2].strip()) : -1;
        events.add(new Event(Long.parseLong(f[0]), f[1], id, f.length == 3 ? f[2].strip() : ""));
    }

    /** Writes that failed (the connection or statement broke) or landed on a replica, in order. */
    public synchronized List<Event> failures() {
        return events.stream().filter(e -> !e.kind().equals("ack")).toList();
    }

    /** Waits until {@code count} writes are acknowledged; fails after {@code timeout}, saying how many were. */
    public void awaitAcks(int count, java.time.Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (acked().size() < count) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + acked().size() + " of " + count + " writes acknowledged"
                        + " within " + timeout.toSeconds() + " s");
            }
            Thread.sleep(100);
        }
    }

    public synchronized Set<Long> acked() {
        Set<Long> ids = new TreeSet<>();
        events.stream().filter(e -> e.kind().equals("ack")).forEach(e -> ids.add(e.id()));
        return ids;
    }

    public synchronized long acksAfter(long millis) {
        return events.stream().filter(e -> e.kind().equals("ack") && e.millis() > millis).count();
    }

    public synchronized Optional<Long> lastAckBefore(long millis) {
        return events.stream().filter(e -> e.kind().equals("ack") && e.millis() <= millis).map(Event::millis)
                .reduce((a, b) -> b);
    }


    /** The first acknowledgement after {@code millis}. */
    public synchronized Optional<Long> firstAckAfter(long millis) {
        return events.stream().filter(e -> e.kind().equals("ack") && e.millis() > millis).map(Event::millis)
                .findFirst();
    }

    public synchronized Optional<Long> lastAck() {
        return events.stream().filter(e -> e.kind().equals("ack")).map(Event::millis).reduce((a, b) -> b);
    }


    /**
     * The longest time without an acknowledged write between {@code from} and {@code to}: gaps between consecutive
     * acknowledgements, starting from the last one before {@code from} (a write in flight at {@code from} may still
     * be acknowledged just after it, which says nothing about the outage that follows).
     */
    public synchronized long longestGap(long from, long to) {
        long previous = lastAckBefore(from).orElse(from);
        long longest = 0;
        for (Event e : events) {
            if (e.kind().equals("ack") && e.millis() > from && e.millis() <= to) {
                longest = Math.max(longest, e.millis() - previous);
                previous = e.millis();
            }
        }
        return Math.max(longest, to - previous);
    }
}
