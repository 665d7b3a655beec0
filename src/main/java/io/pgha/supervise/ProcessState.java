package io.pgha.supervise;

/** What the supervisor knows of one program, for status reports. */
public record ProcessState(String name, String state, long pid, int restarts, String lastExit) {
    public static final String RUNNING = "running";
    public static final String BACKOFF = "backoff";
    public static final String STOPPED = "stopped";
}
