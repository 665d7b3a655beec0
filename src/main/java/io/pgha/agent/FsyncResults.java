package io.pgha.agent;

import io.pgha.model.ClusterSpec;
import io.pgha.model.HostStatus;
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
 * loop: thread-safe, and a probe runs outside the lock.
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

    synchronized boolean anySlow(ClusterSpec.Disk policy) {
        return reports.values().stream().anyMatch(r -> policy.slow(r.result().p99Millis()));
    }

    /** Forgets the directories of roles this host no longer has. */
    synchronized void retain(Set<String> names) {
        reports.keySet().retainAll(names);
    }

    /** Status lines, judged against the spec of now (a changed limit shows without a new probe). */
    synchronized List<HostStatus.FsyncLine> lines(ClusterSpec.Disk policy) {
        List<HostStatus.FsyncLine> lines = new ArrayList<>();
        reports.forEach((name, r) -> lines.add(new HostStatus.FsyncLine(name, r.directory().toString(),
                round2(r.result().p50Millis()), round2(r.result().p99Millis()), policy.fsyncP99LimitMillis())));
        return lines;
    }

    synchronized List<String> warnings(ClusterSpec.Disk policy) {
        List<String> warnings = new ArrayList<>();
        reports.values().stream().filter(r -> policy.slow(r.result().p99Millis())).forEach(r -> warnings.add(
                String.format(Locale.ROOT, "fsync p99 %.2f ms in %s is above the %s ms limit"
                        + " (disk.fsync_p99_limit_ms; etcd's guidance is 10 ms)", r.result().p99Millis(),
                        r.directory(), policy.limitText())));
        return warnings;
    }

    private static double round2(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
