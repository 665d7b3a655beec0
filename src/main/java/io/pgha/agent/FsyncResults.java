package io.pgha.agent;

import io.pgha.model.ClusterSpec;
import io.pgha.model.HostStatus;
import io.pgha.model.Role;
import io.pgha.probe.FsyncProbe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last fsync probe of each data directory. Probed on a timer by the prober and, before a role is taken, by the
 * loop: thread-safe, and a probe runs outside the lock. Results are kept and shown for the roles a state names:
 * nothing is forgotten by one thread while the other, with newer roles, has just measured.
 */
final class FsyncResults {
    private static final Logger log = LoggerFactory.getLogger(FsyncResults.class);
    private static final int WRITES = 200;

    /** An fsync probe of one data directory. */
    record Report(Path directory, FsyncProbe.Result result) {
    }

    private final FsyncProbe probe = new FsyncProbe(WRITES, System::nanoTime);
    private final Map<String, Report> reports = new LinkedHashMap<>();

    /** Measures the disk under {@code dir} (where it will be, if it does not exist yet); empty if the probe failed. */
    Optional<Report> probe(String name, Path dir, ClusterSpec.Disk policy) {
        Path at = dir;
        while (at.getParent() != null && !Files.isDirectory(at)) {
            at = at.getParent();
        }
        try {
            Report report = new Report(at, probe.run(at));
            synchronized (this) {
                reports.put(name, report);
            }
            if (policy.slow(report.result().p99Millis())) {
                log.warn("fsync p99 {} ms in {} is above the {} ms limit", report.result().p99Millis(), at,
                        policy.limitText());
            }
            return Optional.of(report);
        } catch (IOException e) {
            log.warn("fsync probe in {} failed: {}", at, e.getMessage());
            return Optional.empty();
        }
    }

    synchronized boolean anySlow(ClusterSpec.Disk policy, Set<Role> roles) {
        return of(roles).values().stream().anyMatch(r -> policy.slow(r.result().p99Millis()));
    }

    /** Status lines of the roles' directories, judged against the spec of now (a new limit shows at once). */
    synchronized List<HostStatus.FsyncLine> lines(ClusterSpec.Disk policy, Set<Role> roles) {
        List<HostStatus.FsyncLine> lines = new ArrayList<>();
        of(roles).forEach((name, r) -> lines.add(new HostStatus.FsyncLine(name, r.directory().toString(),
                round2(r.result().p50Millis()), round2(r.result().p99Millis()), policy.fsyncP99LimitMillis())));
        return lines;
    }

    synchronized List<String> warnings(ClusterSpec.Disk policy, Set<Role> roles) {
        List<String> warnings = new ArrayList<>();
        of(roles).values().stream().filter(r -> policy.slow(r.result().p99Millis())).forEach(r -> warnings.add(
                String.format(Locale.ROOT, "fsync p99 %.2f ms in %s is above the %s ms limit"
                        + " (disk.fsync_p99_limit_ms; etcd's guidance is 10 ms)", r.result().p99Millis(),
                        r.directory(), policy.limitText())));
        return warnings;
    }

    /** The reports of the roles' directories, in the roles' order; called holding the lock. */
    private Map<String, Report> of(Set<Role> roles) {
        Map<String, Report> shown = new LinkedHashMap<>();
        for (String name : DataDirectories.names(roles)) {
            Report r = reports.get(name);
            if (r != null) {
                shown.put(name, r);
            }
        }
        return shown;
    }

    private static double round2(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
