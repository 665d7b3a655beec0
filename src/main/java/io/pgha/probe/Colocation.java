package io.pgha.probe;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The guide's placement advice, checked on the host: etcd and PostgreSQL each fsync constantly, and on one disk each
 * starves the other, which is how a busy database costs the cluster its etcd leader.
 */
public final class Colocation {
    private Colocation() {
    }

    /** One warning per disk that holds two or more of the named data directories. */
    public static List<String> warnings(Map<String, DiskSampler.Report> reports) {
        Map<String, List<String>> byDevice = new LinkedHashMap<>();
        reports.forEach((name, r) -> byDevice.computeIfAbsent(r.device(), d -> new ArrayList<>()).add(name));
        List<String> warnings = new ArrayList<>();
        byDevice.forEach((device, names) -> {
            if (names.size() > 1) {
                warnings.add(String.join(" and ", names) + " share disk " + device + ": their fsyncs compete"
                        + " (the guide puts etcd and PostgreSQL on separate disks)");
            }
        });
        return warnings;
    }
}
