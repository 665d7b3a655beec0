package io.pgha.probe;

import java.util.Map;
import java.util.TreeMap;

/**
 * What an etcd member's /metrics says about its health: disk latency (WAL fsync, backend commit), leader changes,
 * and the database against its quota (at the quota etcd raises NOSPACE, refuses writes, and Patroni stops).
 * Latency quantiles are the upper bound of the histogram bucket that holds them, over the member's lifetime.
 */
public record EtcdMetrics(double walFsyncP99Millis, double backendCommitP99Millis, long leaderChanges, long dbBytes,
                          long quotaBytes, boolean hasLeader) {

    public double dbUsedPercent() {
        return quotaBytes <= 0 ? 0 : 100.0 * dbBytes / quotaBytes;
    }

    public static EtcdMetrics from(Map<String, Double> samples) {
        return new EtcdMetrics(
                quantile(samples, "etcd_disk_wal_fsync_duration_seconds", 0.99) * 1000,
                quantile(samples, "etcd_disk_backend_commit_duration_seconds", 0.99) * 1000,
                (long) value(samples, "etcd_server_leader_changes_seen_total"),
                (long) value(samples, "etcd_mvcc_db_total_size_in_bytes"),
                (long) value(samples, "etcd_server_quota_backend_bytes"),
                value(samples, "etcd_server_has_leader") == 1.0);
    }

    private static double value(Map<String, Double> samples, String name) {
        return samples.getOrDefault(name, 0.0);
    }

    /** The upper bound (seconds) of the first cumulative bucket holding at least q of all observations. */
    static double quantile(Map<String, Double> samples, String histogram, double q) {
        String prefix = histogram + "_bucket{le=\"";
        TreeMap<Double, Double> buckets = new TreeMap<>();
        samples.forEach((key, count) -> {
            if (key.startsWith(prefix)) {
                String le = key.substring(prefix.length(), key.indexOf('"', prefix.length()));
                buckets.put(le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le), count);
            }
        });
        if (buckets.isEmpty() || buckets.lastEntry().getValue() == 0) {
            return 0;
        }
        double wanted = q * buckets.lastEntry().getValue();
        for (Map.Entry<Double, Double> b : buckets.entrySet()) {
            if (b.getValue() >= wanted) {
                return b.getKey();
            }
        }
        return buckets.lastKey();
    }
}
