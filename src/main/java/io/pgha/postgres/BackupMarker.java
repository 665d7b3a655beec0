package io.pgha.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * The leader's agent's mark in the cluster's data, which restore drills look for in what they restore: one row in
 * {@code pgha.marker} (in the postgres database) with when it was written and which databases existed then. Written
 * every five minutes while the spec has a backup section, so that every backup holds a recent one.
 */
public final class BackupMarker {
    public static final String TABLE = "pgha.marker";
    /** Each write is WAL that archive_timeout then archives within a minute: not more often than needed. */
    public static final Duration EVERY = Duration.ofMinutes(5);
    private long lastWritten;

    /** Whether a write is due: {@link #EVERY} since the last one this agent made, or none made yet. */
    public boolean due(long nowNanos) {
        return lastWritten == 0 || nowNanos - lastWritten >= EVERY.toNanos();
    }

    /** Writes the row on {@code superuser}'s connection to the leader, in one transaction. */
    public void write(Connection superuser, long nowNanos) throws SQLException {
        superuser.setAutoCommit(false);
        try (Statement s = superuser.createStatement()) {
            s.execute("create schema if not exists pgha");
            s.execute("create table if not exists " + TABLE + " (id int primary key check (id = 1),"
                    + " at timestamptz not null, databases text[] not null)");
            s.execute("comment on table " + TABLE + " is 'written by pgha-agent every five minutes; restore drills"
                    + " check that a restored copy holds a recent row'");
            s.execute("insert into " + TABLE + " select 1, now(), array_agg(datname order by datname) from pg_database"
                    + " where not datistemplate on conflict (id) do update set at = excluded.at,"
                    + " databases = excluded.databases");
            superuser.commit();
        } catch (SQLException e) {
            superuser.rollback();
            throw e;
        }
        lastWritten = nowNanos;
    }
}
