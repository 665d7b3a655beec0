package io.pgha.backup;

/**
 * What the agent of the repository host runs its jobs with: pgBackRest on the repository, and for each kind of
 * restore a pgBackRest configuration that restores into its own directory and the copy started there.
 *
 * @param repository the repository's configuration (stanza, backups, info)
 * @param drill      restores into the drills' scratch directory
 * @param drillCopy  the drill's copy: a socket only
 * @param restore    restores into the directory of a copy for inspection
 * @param restoreCopy the copy for inspection: on the host's address, over TLS, with the spec's client rules
 */
public record BackupTools(PgBackRest repository, PgBackRest drill, RestoredPostgres drillCopy, PgBackRest restore,
                          RestoredPostgres restoreCopy) {
}
