package io.pgha.roles;

import io.pgha.model.ProgramVersion;
import java.util.List;
import java.util.Optional;

/**
 * etcd's security releases of March 2026 (3.4.42, 3.5.28, 3.6.9) require authentication for the member list and for
 * lease keep-alives. Patroni sent neither with credentials until 3.3.9, 4.0.8 and 4.1.1: against a hardened etcd with
 * authentication on (every pgha-agent cluster) an older Patroni loops on authentication errors and never holds the
 * leader key. This table says which pairs work.
 */
public final class EtcdHardening {
    /** The first hardened release of each etcd minor line; lines after the last listed are hardened from .0. */
    static final List<ProgramVersion> HARDENED_ETCD = List.of(new ProgramVersion(3, 4, 42),
            new ProgramVersion(3, 5, 28), new ProgramVersion(3, 6, 9));
    /** The first fixed release of each Patroni minor line; lines after the last listed are fixed from .0. */
    static final List<ProgramVersion> FIXED_PATRONI = List.of(new ProgramVersion(3, 3, 9),
            new ProgramVersion(4, 0, 8), new ProgramVersion(4, 1, 1));

    private EtcdHardening() {
    }

    /** Whether this etcd requires authentication for the member list and lease keep-alives. */
    public static boolean hardened(ProgramVersion etcd) {
        return atOrPastFirst(etcd, HARDENED_ETCD);
    }

    /** Whether this Patroni authenticates the calls a hardened etcd requires. */
    public static boolean patroniFixed(ProgramVersion patroni) {
        return atOrPastFirst(patroni, FIXED_PATRONI);
    }

    /**
     * Why Patroni cannot run against this etcd (with authentication on, as pgha-agent always runs it), naming both
     * versions and what to install; empty when the pair works.
     */
    public static Optional<String> problem(ProgramVersion patroni, ProgramVersion etcd) {
        if (!hardened(etcd) || patroniFixed(patroni)) {
            return Optional.empty();
        }
        return Optional.of("Patroni " + patroni + " cannot work with etcd " + etcd + ": etcd since " + firstOfLine(etcd,
                HARDENED_ETCD) + " requires authentication for the member list and lease keep-alives, which this"
                + " Patroni does not send (it would loop on authentication errors and never hold the leader key);"
                + " install Patroni " + fixFor(patroni) + " or later on this host");
    }

    private static String firstOfLine(ProgramVersion v, List<ProgramVersion> table) {
        return table.stream().filter(t -> t.major() == v.major() && t.minor() == v.minor()).findFirst()
                .map(ProgramVersion::toString).orElse(v.major() + "." + v.minor() + ".0");
    }

    /** The first fixed release after the installed Patroni: its own line's, or the next line's. */
    private static String fixFor(ProgramVersion patroni) {
        return FIXED_PATRONI.stream().filter(t -> t.compareTo(patroni) > 0).findFirst()
                .map(ProgramVersion::toString).orElseThrow();
    }

    /**
     * Whether {@code v} is at or past its line's entry in the table; a line before the table's first is not, one
     * after its last is (from .0), one between entries (3.2 between 3.1 and 3.3, say) is not.
     */
    private static boolean atOrPastFirst(ProgramVersion v, List<ProgramVersion> table) {
        for (ProgramVersion first : table) {
            if (first.major() == v.major() && first.minor() == v.minor()) {
                return v.patch() >= first.patch();
            }
        }
        ProgramVersion last = table.get(table.size() - 1);
        return v.compareTo(last) > 0;
    }
}
