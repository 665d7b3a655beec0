package io.pgha.backup;

import io.pgha.resources.Resource;
import java.util.List;

/**
 * Where a restore goes: pgBackRest with a configuration that restores into {@code copy}'s directory, and what must
 * be on the host first ({@code setup}: packages, certificate, that configuration), applied before each restore on a
 * host whose roles do not keep it (a spare host); empty on the repository host, whose role does.
 */
public record RestoreTarget(List<Resource> setup, PgBackRest tool, RestoredPostgres copy) {
    public RestoreTarget {
        setup = List.copyOf(setup);
    }
}
