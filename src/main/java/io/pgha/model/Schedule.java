package io.pgha.model;

import java.time.DayOfWeek;
import java.time.LocalDateTime;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;

/**
 * A cron schedule of five fields — minute, hour, day of month, month, day of week — as crontab(5) reads them:
 * {@code *}, numbers, ranges {@code a-b}, lists {@code a,b}, steps {@code *}{@code /n} and {@code a-b/n}; day of week
 * 0-7 with 0 and 7 both Sunday. When both day fields are restricted, a day matching either one fires (cron's rule).
 * Names (MON, JAN) and the @-shortcuts are not taken: one way to say a thing.
 */
public final class Schedule {
    private record Field(String name, int min, int max) {
    }

    private static final List<Field> FIELDS = List.of(new Field("minute", 0, 59), new Field("hour", 0, 23),
            new Field("day of month", 1, 31), new Field("month", 1, 12), new Field("day of week", 0, 7));
    /** Bounds the search for the next time: four years hold every day there is, 29 February too. */
    private static final int SEARCH_DAYS = 4 * 366 + 1;

    private final String text;
    private final BitSet minutes;
    private final BitSet hours;
    private final BitSet days;
    private final BitSet months;
    private final BitSet weekdays;
    /** A day field that starts with '*' leaves the choice of day to the other one (cron's rule). */
    private final boolean anyDay;
    private final boolean anyWeekday;

    private Schedule(String text, BitSet[] sets, boolean anyDay, boolean anyWeekday) {
        this.text = text;
        this.minutes = sets[0];
        this.hours = sets[1];
        this.days = sets[2];
        this.months = sets[3];
        this.weekdays = sets[4];
        this.anyDay = anyDay;
        this.anyWeekday = anyWeekday;
    }

    /** Thrown with a message that says what was expected and what was found; the caller names the spec field. */
    public static final class InvalidScheduleException extends Exception {
        InvalidScheduleException(String message) {
            super(message);
        }
    }

    public static Schedule parse(String text) throws InvalidScheduleException {
        String[] parts = text.strip().split("\\s+");
        if (text.isBlank() || parts.length != FIELDS.size()) {
            throw new InvalidScheduleException("expected 5 fields (minute hour day-of-month month day-of-week, e.g."
                    + " '0 2 * * 0' for Sundays at 02:00), found " + (text.isBlank() ? 0 : parts.length) + " in '"
                    + Values.printable(text) + "'");
        }
        BitSet[] sets = new BitSet[FIELDS.size()];
        for (int i = 0; i < sets.length; i++) {
            sets[i] = field(FIELDS.get(i), parts[i]);
        }
        BitSet weekdays = sets[4];
        if (weekdays.get(7)) {
            weekdays.set(0);
            weekdays.clear(7);
        }
        Schedule schedule = new Schedule(text.strip(), sets, parts[2].startsWith("*"), parts[4].startsWith("*"));
        if (schedule.next(LocalDateTime.of(2000, 1, 1, 0, 0)).isEmpty()) {
            throw new InvalidScheduleException("'" + Values.printable(text) + "' never fires (no month has such a"
                    + " day)");
        }
        return schedule;
    }

    private static BitSet field(Field f, String text) throws InvalidScheduleException {
        BitSet set = new BitSet(f.max() + 1);
        for (String item : text.split(",", -1)) {
            String range = item;
            int step = 1;
            int slash = item.indexOf('/');
            if (slash >= 0) {
                range = item.substring(0, slash);
                step = number(f, item.substring(slash + 1), item);
                if (step < 1) {
                    throw bad(f, item, "a step of at least 1");
                }
            }
            int from;
            int to;
            if (range.equals("*")) {
                from = f.min();
                to = f.name().equals("day of week") ? 6 : f.max();
            } else if (range.contains("-")) {
                String[] ends = range.split("-", -1);
                if (ends.length != 2) {
                    throw bad(f, item, "a range a-b");
                }
                from = number(f, ends[0], item);
                to = number(f, ends[1], item);
                if (from > to) {
                    throw bad(f, item, "a range from low to high");
                }
            } else {
                from = number(f, range, item);
                to = slash >= 0 ? (f.name().equals("day of week") ? 6 : f.max()) : from;
            }
            for (int v = from; v <= to; v += step) {
                set.set(v);
            }
        }
        return set;
    }

    private static int number(Field f, String text, String item) throws InvalidScheduleException {
        if (text.isEmpty() || !text.chars().allMatch(Character::isDigit) || text.length() > 2) {
            throw bad(f, item, "numbers " + f.min() + "-" + f.max() + ", *, ranges a-b, lists a,b and steps /n");
        }
        int value = Integer.parseInt(text);
        if (value < f.min() || value > f.max()) {
            throw bad(f, item, f.min() + " to " + f.max());
        }
        return value;
    }

    private static InvalidScheduleException bad(Field f, String item, String expected) {
        return new InvalidScheduleException(f.name() + ": expected " + expected + ", found '"
                + Values.printable(item) + "'");
    }

    /** The first minute strictly after {@code after} that this schedule names, in that time's zone. */
    public Optional<ZonedDateTime> next(ZonedDateTime after) {
        return next(after.toLocalDateTime()).map(t -> t.atZone(after.getZone()))
                // A minute that a clock change skips fires at the first instant after it.
                .map(t -> t.isAfter(after) ? t : after.plusMinutes(1).truncatedTo(ChronoUnit.MINUTES));
    }

    Optional<LocalDateTime> next(LocalDateTime after) {
        LocalDateTime t = after.truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
        LocalDateTime end = t.plusDays(SEARCH_DAYS);
        while (t.isBefore(end)) {
            if (!months.get(t.getMonthValue())) {
                t = t.withDayOfMonth(1).withHour(0).withMinute(0).plusMonths(1);
            } else if (!dayMatches(t)) {
                t = t.withHour(0).withMinute(0).plusDays(1);
            } else if (!hours.get(t.getHour())) {
                t = t.withMinute(0).plusHours(1);
            } else if (!minutes.get(t.getMinute())) {
                t = t.plusMinutes(1);
            } else {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    private boolean dayMatches(LocalDateTime t) {
        boolean day = days.get(t.getDayOfMonth());
        boolean weekday = weekdays.get(t.getDayOfWeek() == DayOfWeek.SUNDAY ? 0 : t.getDayOfWeek().getValue());
        if (anyDay || anyWeekday) {
            return day && weekday;
        }
        return day || weekday;
    }

    /** The expression as written. */
    public String text() {
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Schedule other && other.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }
}
