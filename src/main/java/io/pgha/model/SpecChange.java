package io.pgha.model;

import java.util.ArrayList;
import java.util.List;

/** What a spec may not change once a cluster exists, checked against the stored spec before a new one is written. */
public final class SpecChange {
    private SpecChange() {
    }

    /** The fields whose change {@code next} would make to {@code stored} that no host could carry out. */
    public static List<SpecError> refused(ClusterSpec stored, ClusterSpec next) {
        List<SpecError> out = new ArrayList<>();
        boolean before = stored.postgres().dataChecksums();
        if (before != next.postgres().dataChecksums()) {
            out.add(new SpecError("postgres.data_checksums", "the cluster was initialised with data checksums "
                    + (before ? "on" : "off") + " (initdb decides it once); turning them " + (before ? "off" : "on")
                    + " takes pg_checksums on every member with Postgres stopped, which pgha-agent does not do: keep "
                    + before));
        }
        return out;
    }
}
