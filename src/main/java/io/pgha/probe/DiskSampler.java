package io.pgha.probe;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import oshi.SystemInfo;
import oshi.hardware.HWDiskStore;
import oshi.hardware.HWPartition;

/**
 * Disk I/O of the devices that hold given directories, from oshi (which reads /proc/diskstats on Linux). A directory
 * maps to its file store, the file store to its partition, the partition to its disk. Not thread-safe: one caller.
 */
public final class DiskSampler {
    private final SystemInfo system = new SystemInfo();
    private final Map<String, DiskCounters> previous = new HashMap<>();

    /** What one directory's device does. {@code rates} is empty on the first sample or after a counter reset. */
    public record Report(Path path, String device, Optional<DiskRates> rates, long freeBytes, long totalBytes) {
    }

    /** One report per directory, by name (e.g. "etcd data"); a directory not made yet reports its parent's device. */
    public Map<String, Report> sample(Map<String, Path> directories) {
        List<HWDiskStore> disks = system.getHardware().getDiskStores();
        Map<String, Report> out = new LinkedHashMap<>();
        for (Map.Entry<String, Path> d : directories.entrySet()) {
            Path path = existingAncestor(d.getValue());
            try {
                FileStore store = Files.getFileStore(path);
                Optional<HWDiskStore> disk = diskOf(store.name(), disks);
                Optional<DiskRates> rates = Optional.empty();
                String device = disk.isPresent() ? shortName(disk.get()) : fileSystemDevice(store, path);
                if (disk.isPresent()) {
                    DiskCounters now = counters(disk.get());
                    DiskCounters before = previous.put(device, now);
                    rates = before == null ? Optional.empty() : DiskRates.between(before, now);
                }
                out.put(d.getKey(), new Report(d.getValue(), device, rates, store.getUsableSpace(), store.getTotalSpace()));
            } catch (IOException e) {
                // The directory went away between the check and the look-up: report it next time.
            }
        }
        previous.keySet().retainAll(out.values().stream().map(Report::device).toList());
        return out;
    }

    /**
     * A file system with no disk of its own (tmpfs, overlay) is named by its type and device number: two tmpfs
     * mounts are two devices.
     */
    private static String fileSystemDevice(FileStore store, Path path) throws IOException {
        Object dev = Files.getAttribute(path, "unix:dev");
        if (!(dev instanceof Long n)) {
            return store.name();
        }
        long major = ((n >>> 8) & 0xfff) | ((n >>> 32) & ~0xfffL);
        long minor = (n & 0xff) | ((n >>> 12) & ~0xffL);
        return store.name() + " " + major + ":" + minor;
    }

    /** "/dev/vda1" → the disk "vda" whose partition it is, or the disk itself ("/dev/vda"). */
    static Optional<HWDiskStore> diskOf(String storeName, List<HWDiskStore> disks) {
        for (HWDiskStore disk : disks) {
            if (disk.getName().equals(storeName) || shortName(disk).equals(storeName.replace("/dev/", ""))) {
                return Optional.of(disk);
            }
            for (HWPartition p : disk.getPartitions()) {
                if (p.getIdentification().equals(storeName) || ("/dev/" + p.getName()).equals(storeName)) {
                    return Optional.of(disk);
                }
            }
        }
        return Optional.empty();
    }

    private static DiskCounters counters(HWDiskStore disk) {
        disk.updateAttributes();
        return new DiskCounters(shortName(disk), disk.getReads(), disk.getWrites(), disk.getReadBytes(),
                disk.getWriteBytes(), disk.getTransferTime(), disk.getCurrentQueueLength(), disk.getTimeStamp());
    }

    private static String shortName(HWDiskStore disk) {
        return disk.getName().replace("/dev/", "");
    }

    private static Path existingAncestor(Path path) {
        Path p = path.toAbsolutePath();
        while (p.getParent() != null && !Files.exists(p)) {
            p = p.getParent();
        }
        return p;
    }
}
