package io.pgha.model;

/** An alarm etcd has raised on a member: NOSPACE (the quota is reached, writes are refused) or CORRUPT. */
public record EtcdAlarm(long memberId, String type) {
    public static final String NOSPACE = "NOSPACE";

    public boolean noSpace() {
        return NOSPACE.equals(type);
    }
}
