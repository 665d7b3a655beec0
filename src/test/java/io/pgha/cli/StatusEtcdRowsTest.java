package io.pgha.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgha.model.EtcdMember;
import io.pgha.model.HostStatus;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusEtcdRowsTest {

    @Test
    void eachMemberWithItsOwnFiguresAndTheLastDefragmentationAnyAgentRecorded() throws Exception {
        HostStatus etcd1 = HostStatus.TEXT.read("""
                {"host": "etcd1", "health": {"etcd": {"quota_bytes": 16777216}},
                 "etcd": {"member": {"name": "etcd1", "id": "1a", "learner": false, "db_bytes": 2097152,
                                     "db_in_use_bytes": 1048576, "leader": "etcd1", "raft_term": 4,
                                     "applied_index": 900},
                          "alarms": ["NOSPACE on etcd2"],
                          "defragmentations": [{"member": "etcd2", "start": 1000, "end": 2000},
                                               {"member": "etcd2", "start": 5000, "end": 6000}]}}
                """);
        HostStatus spare = HostStatus.TEXT.read("{\"host\": \"spare1\"}");
        List<EtcdMember> members = List.of(
                new EtcdMember(0x1a, "etcd1", List.of("https://10.0.0.1:2380"), List.of(), false),
                new EtcdMember(0x2b, "etcd2", List.of("https://10.0.0.2:2380"), List.of(), false),
                new EtcdMember(0x3c, "", List.of("https://10.0.3.1:2380"), List.of(), true));
        List<String[]> rows = StatusCommand.etcdRows(members, List.of(etcd1, spare));
        assertEquals(4, rows.size());
        assertArrayEquals(new String[] {"etcd1", "1a", "yes", "2.0 MiB", "1.0 MiB", "16.0 MiB", "etcd1", "4", "900",
                "-", "-"}, rows.get(1));
        assertArrayEquals(new String[] {"etcd2", "2b", "yes", "-", "-", "-", "-", "-", "-",
                java.time.Instant.ofEpochMilli(6000).toString(), "NOSPACE"}, rows.get(2),
                "its own agent's figures are missing (agent down), what others saw of it is there");
        assertArrayEquals(new String[] {"10.0.3.1", "3c", "learner", "-", "-", "-", "-", "-", "-", "-", "-"},
                rows.get(3), "a learner that has not started yet has no name");
    }
}
