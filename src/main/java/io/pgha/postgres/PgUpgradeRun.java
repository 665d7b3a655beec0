package io.pgha.postgres;

import io.pgha.resources.DirectoryResource;
import io.pgha.resources.Owner;
import io.pgha.resources.Resource;
import io.pgha.resources.Result;
import io.pgha.resources.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The leader's data upgraded, Postgres stopped: a new cluster of the new major made by initdb, then {@code pg_upgrade
 * --link} into it. Link mode leaves the old directory's files in place (both directories name them) and renames the
 * old {@code global/pg_control} to {@code pg_control.old}; until the new server first starts, renaming it back makes
 * the old cluster what it was ({@link PgUpgradeRollback}). A marker written after success makes the resource right
 * on the passes after; a new directory left by an earlier failed attempt is set aside first.
 */
public record PgUpgradeRun(PgUpgrade tool) implements Resource {

    @Override
    public String id() {
        return tool.upgrade().upgradeId();
    }

    @Override
    public Result checkApply(boolean apply) {
        if (Files.exists(tool.doneMarker())) {
            return new Result(id(), Status.OK, "upgraded " + tool.from().dataDir() + " into " + tool.newData()
                    + " with pg_upgrade --link", List.of());
        }
        List<String> diff = List.of(tool.newData() + ": pg_upgrade --link from " + tool.from().dataDir()
                + " (PostgreSQL " + tool.upgrade().from() + " -> " + tool.upgrade().to() + ")");
        try {
            if (Files.exists(tool.failedMarker())) {
                // Once is enough: the coordinator rolls back on this failure, a second run would only repeat it.
                return Result.failed(id(), Files.readString(tool.failedMarker()).strip(), diff);
            }
            if (!apply) {
                return Result.wouldChange(id(), diff);
            }
            Optional<Long> postmaster = DataDirectoryAside.postmaster(tool.from().dataDir());
            if (postmaster.isPresent()) {
                return Result.failed(id(), "Postgres still runs on " + tool.from().dataDir() + " as pid "
                        + postmaster.get() + "; pg_upgrade runs once it has stopped", diff);
            }
            if (!PgUpgrade.isEmpty(tool.newData())) {
                Files.move(tool.newData(), tool.setAside(), StandardCopyOption.ATOMIC_MOVE);
            }
            Path parent = tool.newData().getParent();
            Result made = new DirectoryResource(parent, new Owner(tool.user(), tool.user(), 0700)).apply();
            if (made.status() == Status.FAILED) {
                return Result.failed(id(), "cannot make " + parent + ": " + made.message(), diff);
            }
            Files.deleteIfExists(tool.newData());
            long started = System.nanoTime();
            try {
                tool.initdb(tool.newData());
                tool.pgUpgrade(tool.newData(), parent, false);
            } catch (IOException e) {
                Files.writeString(tool.failedMarker(), e.getMessage() + "\n");
                throw e;
            }
            Files.writeString(tool.doneMarker(), tool.upgrade().describe() + "\n");
            return Result.changed(id(), String.format(Locale.ROOT, "upgraded %s into %s with pg_upgrade --link in"
                    + " %.1f s", tool.from().dataDir(), tool.newData(), (System.nanoTime() - started) / 1e9), diff);
        } catch (IOException e) {
            return Result.failed(id(), e.getMessage(), diff);
        }
    }
}
