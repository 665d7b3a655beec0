package io.pgha.backup;

import java.util.Optional;

/**
 * What an agent runs pgBackRest jobs with. The repository host has all three; a spare host only {@code restore},
 * for a copy restored onto it.
 *
 * @param repository the repository's configuration (stanza, backups, info), on the repository host
 * @param drill      restores into the drills' scratch directory, a socket only, on the repository host
 * @param restore    restores a copy for inspection: on the host's address, over TLS, with the spec's client rules
 */
public record BackupTools(Optional<PgBackRest> repository, Optional<RestoreTarget> drill, RestoreTarget restore) {
}
