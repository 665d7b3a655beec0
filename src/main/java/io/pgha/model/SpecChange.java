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
        int was = stored.postgres().version();
        int now = next.postgres().version();
        if (now < was) {
            out.add(new SpecError("postgres.version", "the cluster's data is PostgreSQL " + was + "; expected " + was
                    + " or higher, found " + now + " (no PostgreSQL reads the files of a newer major: a downgrade"
                    + " takes a dump and a new cluster)"));
        } else if (now > was && !dataHosts(stored).equals(dataHosts(next))) {
            out.add(new SpecError("postgres.version", "a major upgrade (" + was + " -> " + now + ") runs on the data"
                    + " hosts there are: expected the data hosts " + dataHosts(stored) + ", found "
                    + dataHosts(next) + " (change them in an apply of their own)"));
        }
        return out;
    }

    private static List<String> dataHosts(ClusterSpec spec) {
        return spec.hostsWith(Role.DATA).stream().map(h -> h.name() + "@" + h.address()).sorted().toList();
    }
}
