package io.pgha.model;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A program's version as it prints it ({@code patroni 4.0.7}, {@code etcd Version: 3.5.16}, {@code HAProxy version 3.0.11-1}). */
public record ProgramVersion(int major, int minor, int patch) implements Comparable<ProgramVersion> {
    private static final Pattern NUMBER = Pattern.compile("(\\d+)\\.(\\d+)(?:\\.(\\d+))?");

    /** The first dotted number in a program's {@code --version} output. */
    public static Optional<ProgramVersion> find(String text) {
        Matcher m = NUMBER.matcher(text);
        if (!m.find()) {
            return Optional.empty();
        }
        return Optional.of(new ProgramVersion(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                m.group(3) == null ? 0 : Integer.parseInt(m.group(3))));
    }

    public static ProgramVersion of(int major, int minor) {
        return new ProgramVersion(major, minor, 0);
    }

    public boolean atLeast(int major, int minor) {
        return compareTo(of(major, minor)) >= 0;
    }

    /** Whether major.minor lies within [from, to] (both major.minor, inclusive). */
    public boolean within(ProgramVersion from, ProgramVersion to) {
        return atLeast(from.major, from.minor) && !of(major, minor).isAbove(to);
    }

    private boolean isAbove(ProgramVersion other) {
        return compareTo(other) > 0;
    }

    @Override
    public int compareTo(ProgramVersion o) {
        int c = Integer.compare(major, o.major);
        if (c == 0) {
            c = Integer.compare(minor, o.minor);
        }
        return c != 0 ? c : Integer.compare(patch, o.patch);
    }

    @Override
    public String toString() {
        return major + "." + minor + "." + patch;
    }
}
