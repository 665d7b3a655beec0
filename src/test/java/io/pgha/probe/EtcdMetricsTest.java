package io.pgha.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class EtcdMetricsTest {
    private static final String TEXT = """
            # HELP etcd_disk_wal_fsync_duration_seconds The latency distributions of fsync called by WAL.
            # TYPE etcd_disk_wal_fsync_duration_seconds histogram
            etcd_disk_wal_fsync_duration_seconds_bucket{le="0.001"} 10
            etcd_disk_wal_fsync_duration_seconds_bucket{le="0.002"} 90
            etcd_disk_wal_fsync_duration_seconds_bucket{le="0.004"} 98
            etcd_disk_wal_fsync_duration_seconds_bucket{le="0.008"} 99
            etcd_disk_wal_fsync_duration_seconds_bucket{le="0.016"} 100
            etcd_disk_wal_fsync_duration_seconds_bucket{le="+Inf"} 100
            etcd_disk_wal_fsync_duration_seconds_sum 0.2
            etcd_disk_wal_fsync_duration_seconds_count 100
            # HELP etcd_server_leader_changes_seen_total The number of leader changes seen.
            # TYPE etcd_server_leader_changes_seen_total counter
            etcd_server_leader_changes_seen_total 2
            # HELP etcd_mvcc_db_total_size_in_bytes Total size of the underlying database physically allocated in bytes.
            # TYPE etcd_mvcc_db_total_size_in_bytes gauge
            etcd_mvcc_db_total_size_in_bytes 1.8874368e+09
            # HELP etcd_server_quota_backend_bytes Current backend storage quota size in bytes.
            # TYPE etcd_server_quota_backend_bytes gauge
            etcd_server_quota_backend_bytes 2.147483648e+09
            # HELP etcd_server_has_leader Whether or not a leader exists. 1 is existence, 0 is not.
            # TYPE etcd_server_has_leader gauge
            etcd_server_has_leader 1
            """;

    @Test
    void figuresFromATypicalScrape() {
        EtcdMetrics m = EtcdMetrics.from(PrometheusText.parse(TEXT));
        assertEquals(8.0, m.walFsyncP99Millis(), 1e-9, "99 of 100 observations are at or below 8 ms");
        assertEquals(0.0, m.backendCommitP99Millis(), "no histogram, no figure");
        assertEquals(2, m.leaderChanges());
        assertEquals(87.9, m.dbUsedPercent(), 0.1);
        assertTrue(m.hasLeader());
    }

    @Test
    void malformedTextIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse("etcd_x 1\n"), "sample before TYPE");
        assertThrows(IllegalArgumentException.class,
                () -> PrometheusText.parse("# TYPE a gauge\na{b=\"c} 1\n"), "broken label");
        assertFalse(PrometheusText.parse("# TYPE a gauge\na 1\n").isEmpty());
    }
}
