package io.pgha.postgres;

import io.pgha.resources.Resource;
import io.pgha.resources.Result;
import io.pgha.resources.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The old cluster made what it was after a major upgrade that did not complete, as pg_upgrade's documentation says
 * for link mode before the new server has started: {@code global/pg_control.old} renamed back to {@code pg_control};
 * the new major's directory set aside (kept, renamed) with its marker. Refused once the new server runs: from then on
 * the old directory's files are the new cluster's.
 */
public record PgUpgradeRollback(PgUpgrade tool) implements Resource {

    @Override
    public String id() {
        return tool.upgrade().rollbackId();
    }

    @Override
    public Result checkApply(boolean apply) {
        Path control = tool.from().dataDir().resolve("global").resolve("pg_control");
        Path controlOld = control.resolveSibling("pg_control.old");
        try {
            List<String> diff = new ArrayList<>();
            boolean controlBack = Files.exists(controlOld) && !Files.exists(control);
            if (controlBack) {
                diff.add(controlOld + ": renamed back to pg_control (the old cluster starts again)");
            }
            boolean newAside = !PgUpgrade.isEmpty(tool.newData());
            if (newAside) {
                diff.add(tool.newData() + ": set aside as " + tool.setAside() + " (kept)");
            }
            boolean marker = Files.exists(tool.doneMarker());
            if (marker) {
                diff.add(tool.doneMarker() + ": removed");
            }
            if (diff.isEmpty()) {
                return Files.exists(control) ? new Result(id(), Status.OK, "PostgreSQL " + tool.upgrade().from()
                        + " in " + tool.from().dataDir() + " as before the upgrade", List.of())
                        : Result.failed(id(), "expected " + control + ", found neither it nor pg_control.old");
            }
            if (!apply) {
                return Result.wouldChange(id(), diff);
            }
            Optional<Long> running = DataDirectoryAside.postmaster(tool.newData());
            if (running.isPresent()) {
                return Result.failed(id(), "the new server runs on " + tool.newData() + " as pid " + running.get()
                        + ": past the point of no return, the old cluster's files are the new one's", diff);
            }
            if (newAside) {
                Files.move(tool.newData(), tool.setAside(), StandardCopyOption.ATOMIC_MOVE);
            }
            if (controlBack) {
                Files.move(controlOld, control, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.deleteIfExists(tool.doneMarker());
            return Result.changed(id(), "PostgreSQL " + tool.upgrade().from() + " in " + tool.from().dataDir()
                    + " as before the upgrade", diff);
        } catch (IOException e) {
            return Result.failed(id(), "cannot roll back: " + e.getMessage());
        }
    }
}
