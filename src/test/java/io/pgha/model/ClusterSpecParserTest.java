package io.pgha.model;

import static io.pgha.model.SpecAssertions.assertRefused;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterSpecParserTest {
    static final String VALID = """
            cluster: demo
            hosts:
              etcd1: {address: 10.0.0.1, role: etcd}
              etcd2: {address: 10.0.0.2, role: etcd}
              etcd3: {address: 10.0.0.3, role: etcd}
              pg1: {address: 10.0.1.1, role: data}
              pg2: {address: 10.0.1.2, role: data, tags: {nofailover: true}}
              lb1: {address: 10.0.2.1, role: lb}
            postgres:
              version: 15
              parameters:
                max_connections: 200
                shared_buffers: 256MB
                log_line_prefix: '%m [%p] '
              hba:
                - {type: host, database: all, user: all, address: 10.0.0.0/8, method: scram-sha-256}
            patroni:
              ttl: 30
              loop_wait: 10
              retry_timeout: 10
              maximum_lag_on_failover: 1048576
              synchronous_mode: true
            haproxy:
              primary_port: 5000
              replica_port: 5001
              stats_port: 7000
            """;

    private final ClusterSpecParser parser;

    ClusterSpecParserTest() throws InvalidSpecException {
        parser = new ClusterSpecParser(AgentConfigTest.minimal());
    }

    private ClusterSpec parse(String text) throws InvalidSpecException {
        return parser.parse(text, "cluster.yml");
    }

    @Test
    void validSpecIsReadWhole() throws Exception {
        ClusterSpec spec = parse(VALID);
        assertEquals("demo", spec.cluster());
        assertEquals(6, spec.hosts().size());
        assertEquals(java.util.Set.of(Role.DATA), spec.host("pg1").orElseThrow().roles());
        assertTrue(spec.host("pg2").orElseThrow().tags().nofailover());
        assertEquals(2, spec.hostsWith(Role.DATA).size());
        assertEquals("200", spec.postgres().parameters().get("max_connections"));
        assertEquals("%m [%p] ", spec.postgres().parameters().get("log_line_prefix"));
        assertEquals("host all all 10.0.0.0/8 scram-sha-256", spec.postgres().hba().get(0).line());
        assertTrue(spec.patroni().synchronousMode());
        assertEquals(new ClusterSpec.Haproxy(5000, 5001, 7000), spec.haproxy());
    }

    @Test
    void defaultsAreTheGuidesValues() throws Exception {
        ClusterSpec spec = parse("""
                cluster: demo
                hosts:
                  etcd1: {address: 10.0.0.1, role: etcd}
                  etcd2: {address: 10.0.0.2, role: etcd}
                  etcd3: {address: 10.0.0.3, role: etcd}
                  pg1: {address: 10.0.1.1, role: data}
                """);
        assertEquals(ClusterSpec.Patroni.GUIDE, spec.patroni());
        assertEquals(new ClusterSpec.Patroni(30, 10, 10, 1048576, false, false, false, 1, true, 120, 0),
                spec.patroni());
        assertEquals(ClusterSpec.Haproxy.DEFAULT, spec.haproxy());
        assertEquals(new ClusterSpec.Disk(10, false), spec.disk());
        assertEquals(15, spec.postgres().version());
        assertTrue(spec.postgres().hba().isEmpty());
        assertFalse(spec.host("pg1").orElseThrow().tags().nofailover());
    }

    @Test
    void aHostMayNotBeNamedForPghactlsCertificate() {
        assertRefused(() -> parse("""
                cluster: demo
                hosts:
                  etcd1: {address: 10.0.0.1, role: etcd}
                  etcd2: {address: 10.0.0.2, role: etcd}
                  etcd3: {address: 10.0.0.3, role: etcd}
                  admin: {address: 10.0.1.1, role: data}
                """), "hosts.admin", "taken by pghactl's certificate");
    }

    @Test
    void malformedYaml() {
        assertRefused(() -> parse("cluster: demo\nhosts:\n  pg1: {address: 10.0.1.1\n"), "(yaml)", "malformed YAML");
        assertRefused(() -> parse("cluster: demo\n\thosts: {}\n"), "(yaml)", "malformed YAML");
    }

    @Test
    void emptyDocument() {
        assertRefused(() -> parse(""), "(document)", "empty");
        assertRefused(() -> parse("---\n"), "(document)", "empty");
    }

    @Test
    void unknownTopLevelKey() {
        assertRefused(() -> parse(VALID + "extra: 1\n"), "extra", "unknown key");
    }

    @Test
    void unknownNestedKeys() {
        assertRefused(() -> parse(VALID.replace("role: lb}", "role: lb, colour: red}")), "hosts.lb1.colour",
                "unknown key");
        assertRefused(() -> parse(VALID.replace("  ttl: 30", "  ttl: 30\n  tll: 30")), "patroni.tll", "unknown key");
        assertRefused(() -> parse(VALID.replace("  stats_port: 7000", "  admin_port: 7001")), "haproxy.admin_port",
                "unknown key");
        assertRefused(() -> parse(VALID.replace("nofailover: true", "nofailover: true, sticky: true")),
                "hosts.pg2.tags.sticky", "unknown key");
    }

    @Test
    void clusterMustMatchAgentYml() {
        assertRefused(() -> parse(VALID.replace("cluster: demo", "cluster: other")), "cluster",
                "expected 'demo'");
        assertRefused(() -> parse(VALID.replace("cluster: demo\n", "")), "cluster", "required");
    }

    @Test
    void unknownRole() {
        InvalidSpecException e = assertRefused(() -> parse(VALID.replace("role: lb}", "role: proxy}")), "hosts.lb1.role",
                "unknown role 'proxy'");
        assertEquals(1, e.errors().size(), "no follow-on errors from cross-host checks: " + e.getMessage());
    }

    @Test
    void missingRoleAndAddress() {
        assertRefused(() -> parse(VALID.replace("{address: 10.0.2.1, role: lb}", "{role: lb}")), "hosts.lb1.address",
                "required");
        assertRefused(() -> parse(VALID.replace("{address: 10.0.2.1, role: lb}", "{address: 10.0.2.1}")),
                "hosts.lb1.role", "required");
    }

    @Test
    void duplicateHostName() {
        assertRefused(() -> parse(VALID.replace("  lb1: {address: 10.0.2.1, role: lb}",
                "  lb1: {address: 10.0.2.1, role: lb}\n  lb1: {address: 10.0.2.2, role: lb}")), "(yaml)", "uplicate");
    }

    @Test
    void duplicateAddress() {
        assertRefused(() -> parse(VALID.replace("10.0.2.1", "10.0.1.1")), "hosts.lb1.address",
                "duplicate address 10.0.1.1, already used by host 'pg1'");
    }

    @Test
    void badAddresses() {
        assertRefused(() -> parse(VALID.replace("10.0.2.1", "10.0.2")), "hosts.lb1.address", "IPv4");
        assertRefused(() -> parse(VALID.replace("10.0.2.1", "10.0.2.300")), "hosts.lb1.address", "IPv4");
        assertRefused(() -> parse(VALID.replace("10.0.2.1", "0.0.0.0")), "hosts.lb1.address", "host address");
        assertRefused(() -> parse(VALID.replace("10.0.2.1", "010.0.2.1")), "hosts.lb1.address", "IPv4");
    }

    @Test
    void hostNameThatWouldInjectIntoAConfigFile() {
        assertRefused(() -> parse(VALID.replace("  lb1:", "  \"lb1\\n    server evil 6.6.6.6:5432\":")),
                "hosts.lb1\n    server evil 6.6.6.6:5432", "DNS label");
        assertRefused(() -> parse(VALID.replace("  lb1:", "  LB_1:")), "hosts.LB_1", "DNS label");
    }

    @Test
    void etcdHostsAreTheMembershipAtLeastThreeUnlessTheSpecAcceptsFewer() throws Exception {
        String two = VALID.replace("  etcd3: {address: 10.0.0.3, role: etcd}\n", "");
        assertRefused(() -> parse(two), "hosts", "2 hosts with role etcd tolerate no failure");
        ClusterSpec small = parse(two + "etcd: {allow_small_cluster: true}\n");
        assertEquals(2, small.etcdMembers().size());
        assertTrue(small.warnings().contains("hosts: 2 etcd members (quorum 2) tolerate 0 failed member(s), no more"
                + " than 1 would: an odd number is as safe with one member less"), small.warnings().toString());
        String four = VALID.replace("  pg1:", "  etcd4: {address: 10.0.0.4, role: etcd}\n  pg1:");
        assertTrue(parse(four).warnings().stream().anyMatch(w -> w.startsWith("hosts: 4 etcd members (quorum 3)"
                + " tolerate 1 failed member(s), no more than 3 would")), parse(four).warnings().toString());
        assertRefused(() -> parse(VALID.replace("role: etcd}", "role: lb}") + "etcd: {allow_small_cluster: true}\n"),
                "hosts", "at least one host with role etcd");
        ClusterSpec moved = parse(VALID.replace("etcd3: {address: 10.0.0.3", "etcd3: {address: 10.0.0.9"));
        assertEquals("10.0.0.9", moved.etcdMembers().get("etcd3"), "agent.yml's list is only the bootstrap seed");
    }

    @Test
    void etcdSettingsAreCheckedAsEtcdWouldCheckThem() throws Exception {
        ClusterSpec spec = parse(VALID + "etcd: {quota_bytes: 16777216, heartbeat_interval_ms: 50,"
                + " election_timeout_ms: 500}\n");
        assertEquals(new ClusterSpec.Etcd(16L << 20, 50, 500, 50, 64L << 20, false), spec.etcd());
        assertEquals(ClusterSpec.Etcd.DEFAULT, parse(VALID).etcd());
        assertRefused(() -> parse(VALID + "etcd: {heartbeat_interval_ms: 300}\n"), "etcd.election_timeout_ms",
                "at least 5 heartbeats");
        assertRefused(() -> parse(VALID + "etcd: {quota_bytes: 1000}\n"), "etcd.quota_bytes", "between");
        assertRefused(() -> parse(VALID + "etcd: {quota: 1}\n"), "etcd.quota", "unknown key");
    }

    @Test
    void aSpareHostHasNoRole() throws Exception {
        ClusterSpec spec = parse(VALID);
        ClusterSpec withSpare = parse(VALID.replace("hosts:\n", "hosts:\n  spare1: {address: 10.0.3.1, roles: []}\n"));
        assertEquals(spec.hosts().size() + 1, withSpare.hosts().size());
        assertEquals(java.util.Set.of(), withSpare.host("spare1").orElseThrow().roles());
    }

    @Test
    void atLeastOneDataHost() {
        assertRefused(() -> parse(VALID.replace("role: data", "role: lb").replace(", tags: {nofailover: true}", "")),
                "hosts", "at least one host with role data");
    }

    @Test
    void tagsOnlyOnDataHosts() {
        assertRefused(() -> parse(VALID.replace("role: lb}", "role: lb, tags: {nosync: true}}")), "hosts.lb1.tags",
                "only data hosts");
        assertRefused(() -> parse(VALID.replace("nofailover: true", "nofailover: yes-please")),
                "hosts.pg2.tags.nofailover", "true or false");
    }

    /** Three hosts, each etcd and data, one of them the lb too: the guide's seven hosts on three. */
    private static final String COMPACT = """
            cluster: demo
            hosts:
              etcd1: {address: 10.0.0.1, roles: [etcd, data, lb], allow_colocation: true}
              etcd2: {address: 10.0.0.2, roles: [data, etcd], allow_colocation: true}
              etcd3: {address: 10.0.0.3, roles: [etcd, data], allow_colocation: true, tags: {nofailover: true}}
            """;

    @Test
    void severalRolesOnOneHost() throws Exception {
        ClusterSpec spec = parse(COMPACT);
        ClusterSpec.Host first = spec.host("etcd1").orElseThrow();
        assertEquals(List.of(Role.ETCD, Role.DATA, Role.LB), List.copyOf(first.roles()), "in enum order");
        assertEquals("etcd+data+lb", first.rolesId());
        assertEquals("etcd+data", spec.host("etcd2").orElseThrow().rolesId());
        assertEquals(3, spec.hostsWith(Role.DATA).size());
        assertEquals(3, spec.hostsWith(Role.ETCD).size());
        assertEquals(1, spec.hostsWith(Role.LB).size());
        assertTrue(spec.host("etcd3").orElseThrow().tags().nofailover(), "tags on a host that is also data");
    }

    @Test
    void etcdWithDataOnlyWhenTheSpecAllowsIt() {
        assertRefused(() -> parse(COMPACT.replace("[etcd, data, lb], allow_colocation: true",
                "[etcd, data, lb]")), "hosts.etcd1.roles", "set hosts.etcd1.allow_colocation: true to accept");
        assertRefused(() -> parse(COMPACT.replace("[data, etcd], allow_colocation: true",
                "[data, etcd], allow_colocation: false")), "hosts.etcd2.roles", "compete for its disk");
        assertRefused(() -> parse(COMPACT.replace("allow_colocation: true}", "allow_colocation: yes-sure}")),
                "hosts.etcd2.allow_colocation", "true or false");
    }

    @Test
    void badRoleLists() {
        assertRefused(() -> parse(COMPACT.replace("roles: [data, etcd]", "roles: [data, etcd, data]")),
                "hosts.etcd2.roles[2]", "role data listed twice");
        assertRefused(() -> parse(COMPACT.replace("roles: [data, etcd]", "roles: data")), "hosts.etcd2.roles",
                "expected a list");
        assertRefused(() -> parse(COMPACT.replace("roles: [data, etcd]", "roles: [data, ectd]")),
                "hosts.etcd2.roles[1]", "unknown role 'ectd'");
        assertRefused(() -> parse(COMPACT.replace("roles: [data, etcd]", "role: data, roles: [data, etcd]")),
                "hosts.etcd2.roles", "either role or roles, not both");
    }

    private static final String WITH_BACKUP = VALID.replace("  lb1: {address: 10.0.2.1, role: lb}\n",
            "  lb1: {address: 10.0.2.1, role: lb}\n  backup1: {address: 10.0.3.1, role: backup}\n")
            + "backup: {}\n";

    private static String withoutBackup1(String spec) {
        return spec.replace("  backup1: {address: 10.0.3.1, role: backup}\n", "");
    }

    @Test
    void noBackupSectionNoBackups() throws Exception {
        assertTrue(parse(VALID).backup().isEmpty());
    }

    @Test
    void anEmptyBackupSectionTakesTheDefaults() throws Exception {
        ClusterSpec.Backup backup = parse(WITH_BACKUP).backup().orElseThrow();
        assertEquals(2, backup.retentionFull());
        assertEquals(6, backup.retentionDiff());
        assertEquals("0 2 * * 0", backup.full().text());
        assertEquals("0 2 * * 1-6", backup.diff().orElseThrow().text());
        assertTrue(backup.incr().isEmpty());
        assertTrue(backup.fromReplica());
        assertEquals("30 4 * * *", backup.drill().text());
        assertEquals(List.of("backup1"), parse(WITH_BACKUP).hostsWith(Role.BACKUP).stream()
                .map(ClusterSpec.Host::name).toList());
    }

    @Test
    void theBackupSectionAsWritten() throws Exception {
        ClusterSpec.Backup backup = parse(WITH_BACKUP.replace("backup: {}", """
                backup:
                  retention: {full: 4, diff: 3}
                  schedule: {full: "0 1 * * 6", diff: "", incr: "0 */4 * * *"}
                  from: leader
                  drill: "0 5 * * 1"
                """)).backup().orElseThrow();
        assertEquals(4, backup.retentionFull());
        assertEquals(3, backup.retentionDiff());
        assertEquals("0 1 * * 6", backup.full().text());
        assertTrue(backup.diff().isEmpty(), "an empty diff schedule turns differential backups off");
        assertEquals("0 */4 * * *", backup.incr().orElseThrow().text());
        assertFalse(backup.fromReplica());
        assertEquals("0 5 * * 1", backup.drill().text());
    }

    @Test
    void badBackupSettingsNameTheirField() {
        assertRefused(() -> parse(WITH_BACKUP.replace("backup: {}", "backup: {schedule: {full: '0 2 * *'}}")),
                "backup.schedule.full", "expected 5 fields");
        assertRefused(() -> parse(WITH_BACKUP.replace("backup: {}", "backup: {schedule: {incr: '61 * * * *'}}")),
                "backup.schedule.incr", "minute: expected 0 to 59, found '61'");
        assertRefused(() -> parse(WITH_BACKUP.replace("backup: {}", "backup: {schedule: {full: ''}}")),
                "backup.schedule.full", "every backup chain starts with a full backup");
        assertRefused(() -> parse(WITH_BACKUP.replace("backup: {}", "backup: {drill: ''}")),
                "backup.drill", "expected a cron expression");
        assertRefused(() -> parse(WITH_BACKUP.replace("backup: {}", "backup: {retention: {full: 0}}")),
                "backup.retention.full", "must be between 1 and 9999, found 0");
        assertRefused(() -> parse(WITH_BACKUP.replace("backup: {}", "backup: {from: standby}")),
                "backup.from", "expected replica");
        assertRefused(() -> parse(WITH_BACKUP.replace("backup: {}", "backup: {keep: 3}")),
                "backup.keep", "unknown key");
        assertRefused(() -> parse(WITH_BACKUP.replace("    max_connections: 200", "    archive_command: /bin/true")),
                "postgres.parameters.archive_command", "is set by pgha-agent while the spec has a backup section");
        assertDoesNotThrow(() -> parse(VALID.replace("    max_connections: 200", "    archive_command: /bin/true")));
    }

    @Test
    void oneRepositoryHostOfItsOwnOrBesideLb() throws Exception {
        assertRefused(() -> parse(WITH_BACKUP.replace("backup: {}\n", "")), "hosts.backup1.role",
                "needs the spec's backup section");
        assertRefused(() -> parse(withoutBackup1(WITH_BACKUP)), "backup", "expected one host with role backup");
        assertRefused(() -> parse(withoutBackup1(WITH_BACKUP.replace("pg2: {address: 10.0.1.2, role: data,",
                "pg2: {address: 10.0.1.2, roles: [data, backup],"))),
                "hosts.pg2.roles", "would be lost with this data+backup host");
        assertRefused(() -> parse(WITH_BACKUP.replace("  backup1: {address: 10.0.3.1, role: backup}\n",
                "  backup1: {address: 10.0.3.1, role: backup}\n  backup2: {address: 10.0.3.2, role: backup}\n")),
                "hosts", "expected one host with role backup, found 2: backup1, backup2");
        ClusterSpec besideLb = parse(withoutBackup1(WITH_BACKUP.replace("lb1: {address: 10.0.2.1, role: lb}",
                "lb1: {address: 10.0.2.1, roles: [lb, backup]}")));
        assertEquals(java.util.Set.of(Role.LB, Role.BACKUP), besideLb.host("lb1").orElseThrow().roles());
    }

    @Test
    void lbPortsMustNotCollideWithTheHostsOtherListeners() {
        assertRefused(() -> parse(COMPACT + "haproxy: {primary_port: 5432}\n"), "haproxy.primary_port",
                "port 5432 on lb host etcd1 is already used by PostgreSQL");
        assertRefused(() -> parse(COMPACT + "haproxy: {stats_port: 2379}\n"), "haproxy.stats_port",
                "etcd's client port on etcd1");
        assertRefused(() -> parse(COMPACT + "haproxy: {replica_port: 8010}\n"), "haproxy.replica_port",
                "the agent's HTTP endpoint");
        // A dedicated lb host may well offer the primary on PostgreSQL's own port.
        assertEquals(5432, assertDoesNotThrow(() -> parse(VALID.replace("primary_port: 5000", "primary_port: 5432")))
                .haproxy().primaryPort());
    }

    @Test
    void diskPolicy() throws Exception {
        ClusterSpec spec = parse(VALID + "disk: {fsync_p99_limit_ms: 2.5, on_slow_fsync: refuse}\n");
        assertEquals(new ClusterSpec.Disk(2.5, true), spec.disk());
        assertEquals("2.5", spec.disk().limitText());
        assertEquals("10", ClusterSpec.Disk.DEFAULT.limitText());
        assertTrue(spec.disk().slow(2.6));
        assertFalse(spec.disk().slow(2.5));
        assertRefused(() -> parse(VALID + "disk: {on_slow_fsync: stop}\n"), "disk.on_slow_fsync",
                "expected warn or refuse, found 'stop'");
        assertRefused(() -> parse(VALID + "disk: {fsync_p99_limit_ms: 0}\n"), "disk.fsync_p99_limit_ms", "between");
        assertRefused(() -> parse(VALID + "disk: {fsync_p99_limit_ms: fast}\n"), "disk.fsync_p99_limit_ms",
                "expected a number, found text 'fast'");
        assertRefused(() -> parse(VALID + "disk: {fsync_ms: 5}\n"), "disk.fsync_ms", "unknown key");
    }

    @Test
    void patroniTimerRule() {
        assertRefused(() -> parse(VALID.replace("ttl: 30", "ttl: 29")), "patroni.ttl",
                "loop_wait + 2*retry_timeout <= ttl, found 10 + 2*10 = 30 > 29");
        assertRefused(() -> parse(VALID.replace("loop_wait: 10", "loop_wait: 0")), "patroni.loop_wait", "between");
        assertRefused(() -> parse(VALID.replace("retry_timeout: 10", "retry_timeout: ten")), "patroni.retry_timeout",
                "whole number");
        assertRefused(() -> parse(VALID.replace("synchronous_mode: true", "synchronous_mode: 1")),
                "patroni.synchronous_mode", "true, false or quorum");
        assertRefused(() -> parse(VALID.replace("synchronous_mode: true", "failsafe_mode: maybe")),
                "patroni.failsafe_mode", "true or false");
        assertRefused(() -> parse(VALID.replace("maximum_lag_on_failover: 1048576", "maximum_lag_on_failover: -1")),
                "patroni.maximum_lag_on_failover", "between");
    }

    @Test
    void postgresVersion() {
        assertRefused(() -> parse(VALID.replace("version: 15", "version: 9")), "postgres.version", "unsupported");
        assertRefused(() -> parse(VALID.replace("version: 15", "version: '15'")), "postgres.version", "whole number");
    }

    @Test
    void parametersThatWouldBreakTheConfig() {
        assertRefused(() -> parse(VALID.replace("max_connections: 200", "\"max connections\": 200")),
                "postgres.parameters.max connections", "parameter name");
        assertRefused(() -> parse(VALID.replace("shared_buffers: 256MB", "shared_buffers: \"256MB\\nfsync = off\"")),
                "postgres.parameters.shared_buffers", "control character");
        assertRefused(() -> parse(VALID.replace("shared_buffers: 256MB", "shared_buffers: [1, 2]")),
                "postgres.parameters.shared_buffers", "single value");
    }

    /** The three: each refused in one pass, naming its field, as PostgreSQL of the spec's major would. */
    @Test
    void parametersPostgresWouldNotTake() {
        String bad = VALID.replace("version: 15", "version: 18").replace("max_connections: 200",
                "max_conections: \"200\"\n    work_mem: lots");
        InvalidSpecException e = assertRefused(() -> parse(bad), "postgres.parameters.max_conections",
                "did you mean max_connections?");
        assertTrue(e.describe().contains("postgres.parameters.work_mem: expected an amount of memory"), e.describe());
        assertRefused(() -> parse(VALID.replace("max_connections: 200", "max_connections: \"-5\"")),
                "postgres.parameters.max_connections", "expected 1 to 262143, found '-5'");
    }

    @Test
    void dataChecksumsAndPostgres18() throws Exception {
        ClusterSpec pg18 = parse(VALID.replace("version: 15", "version: 18"));
        assertEquals(18, pg18.postgres().version());
        assertTrue(pg18.postgres().dataChecksums(), "on by default for every version");
        assertFalse(parse(VALID.replace("version: 15", "version: 15\n  data_checksums: false")).postgres()
                .dataChecksums());
        assertRefused(() -> parse(VALID.replace("version: 15", "version: 15\n  data_checksums: maybe")),
                "postgres.data_checksums", "expected true or false");
        ClusterSpec md5 = parse(VALID.replace("method: scram-sha-256", "method: md5"));
        assertTrue(md5.warnings().contains("postgres.hba[0]: method 'md5' is deprecated since PostgreSQL 18 (a login"
                + " with an MD5 password draws a warning, and a later release removes it; use scram-sha-256)"),
                md5.warnings().toString());
    }

    @Test
    void aChangeOfDataChecksumsOnAnExistingClusterIsRefused() throws Exception {
        ClusterSpec on = parse(VALID);
        ClusterSpec off = parse(VALID.replace("version: 15", "version: 15\n  data_checksums: false"));
        assertEquals(List.of(), SpecChange.refused(on, on));
        List<SpecError> refused = SpecChange.refused(on, off);
        assertEquals("postgres.data_checksums", refused.get(0).field());
        assertTrue(refused.get(0).reason().startsWith("the cluster was initialised with data checksums on"),
                refused.toString());
    }

    @Test
    void aMajorVersionChangeIsRefusedBeforeAnythingIsWritten() throws Exception {
        ClusterSpec on15 = parse(VALID);
        List<SpecError> down = SpecChange.refused(parse(VALID.replace("version: 15", "version: 17")), on15);
        assertEquals("postgres.version", down.get(0).field());
        assertTrue(down.get(0).reason().startsWith("the cluster's data is PostgreSQL 17; expected 17 or higher,"
                + " found 15"), down.toString());
        assertEquals(List.of(), SpecChange.refused(on15, parse(VALID.replace("version: 15", "version: 17"))),
                "an upgrade is the agents' to carry out");
    }

    @Test
    void aMajorUpgradeChangesNoDataHostInTheSameApply() throws Exception {
        ClusterSpec on15 = parse(VALID);
        ClusterSpec withoutOne = parse(VALID.replace("version: 15", "version: 17").replace(
                "  pg2: {address: 10.0.1.2, role: data, tags: {nofailover: true}}\n", ""));
        List<SpecError> refused = SpecChange.refused(on15, withoutOne);
        assertEquals("postgres.version", refused.get(0).field(), refused.toString());
        assertTrue(refused.get(0).reason().startsWith("a major upgrade (15 -> 17) runs on the data hosts there are:"
                + " expected the data hosts ["), refused.toString());
    }

    @Test
    void quorumCommit() throws Exception {
        ClusterSpec.Patroni quorum = parse(VALID.replace("synchronous_mode: true",
                "synchronous_mode: quorum\n  synchronous_node_count: 2")).patroni();
        assertTrue(quorum.synchronousMode() && quorum.quorum());
        assertEquals(2, quorum.synchronousNodeCount());
        assertEquals("quorum", quorum.synchronousModeText());
        ClusterSpec.Patroni on = parse(VALID).patroni();
        assertTrue(on.synchronousMode() && !on.quorum());
        assertEquals(1, on.synchronousNodeCount());
        assertRefused(() -> parse(VALID.replace("synchronous_mode: true", "synchronous_mode: majority")),
                "patroni.synchronous_mode", "expected true, false or quorum, found text 'majority'");
        assertRefused(() -> parse(VALID.replace("synchronous_mode: true",
                "synchronous_mode: false\n  synchronous_node_count: 2")), "patroni.synchronous_node_count",
                "applies only with synchronous_mode true or quorum");
    }

    @Test
    void fastFailoverOnlyInASynchronousModeAndBeforeTheLeaderKeyExpires() throws Exception {
        ClusterSpec.Patroni off = parse(VALID).patroni();
        assertTrue(!off.fastFailover(), "off unless asked");
        ClusterSpec.Patroni on = parse(VALID.replace("synchronous_mode: true",
                "synchronous_mode: true\n  fast_failover: true")).patroni();
        assertTrue(on.fastFailover());
        assertEquals(ClusterSpec.Patroni.FAST_FAILOVER_AFTER_SECONDS, on.fastFailoverAfterSeconds());
        assertEquals(5, parse(VALID.replace("synchronous_mode: true",
                "synchronous_mode: quorum\n  fast_failover: true\n  fast_failover_after: 5")).patroni()
                .fastFailoverAfterSeconds());
        assertRefused(() -> parse(VALID.replace("synchronous_mode: true",
                "synchronous_mode: false\n  fast_failover: true")), "patroni.fast_failover",
                "applies only with synchronous_mode true or quorum: an early promotion in asynchronous mode loses");
        assertRefused(() -> parse(VALID.replace("synchronous_mode: true",
                "synchronous_mode: true\n  fast_failover_after: 2")), "patroni.fast_failover_after",
                "applies only with fast_failover: true");
        assertRefused(() -> parse(VALID.replace("synchronous_mode: true",
                "synchronous_mode: true\n  fast_failover: true\n  fast_failover_after: 3600")),
                "patroni.fast_failover_after", "expected less than ttl");
    }

    @Test
    void strictSynchronousMode() throws Exception {
        assertTrue(parse(VALID.replace("synchronous_mode: true",
                "synchronous_mode: true\n  synchronous_mode_strict: true")).patroni().strict());
        assertTrue(!parse(VALID).patroni().strict(), "off unless asked");
        assertRefused(() -> parse(VALID.replace("synchronous_mode: true",
                "synchronous_mode: false\n  synchronous_mode_strict: true")), "patroni.synchronous_mode_strict",
                "applies only with synchronous_mode true or quorum");
    }

    @Test
    void parametersOwnedByTheAgent() {
        assertRefused(() -> parse(VALID.replace("max_connections: 200", "port: 6543")), "postgres.parameters.port",
                "managed by pgha-agent");
        assertRefused(() -> parse(VALID.replace("max_connections: 200", "data_directory: /tmp")),
                "postgres.parameters.data_directory", "managed by pgha-agent");
    }

    @Test
    void hbaRules() {
        assertRefused(() -> parse(VALID.replace("address: 10.0.0.0/8", "address: 10.0.0.1/8")),
                "postgres.hba[0].address", "host bits");
        assertRefused(() -> parse(VALID.replace("address: 10.0.0.0/8", "address: everywhere")),
                "postgres.hba[0].address", "IPv4 network");
        assertRefused(() -> parse(VALID.replace("method: scram-sha-256", "method: password")),
                "postgres.hba[0].method", "expected one of");
        assertRefused(() -> parse(VALID.replace("type: host,", "type: hostgssenc,")), "postgres.hba[0].type",
                "expected one of");
        assertRefused(() -> parse(VALID.replace("user: all", "user: \"all\\nhost all all 0.0.0.0/0 trust\"")),
                "postgres.hba[0].user", "user name list");
        assertRefused(() -> parse(VALID.replace("address: 10.0.0.0/8, ", "")), "postgres.hba[0].address", "required");
        assertRefused(() -> parse(VALID.replace("type: host, database: all, user: all, address: 10.0.0.0/8,",
                "type: local, database: all, user: all, address: 10.0.0.0/8,")), "postgres.hba[0].address",
                "no address");
    }

    @Test
    void hbaRulesThatOpenTheDoorAreRefused() throws Exception {
        assertRefused(() -> parse(VALID.replace("method: scram-sha-256", "method: trust")), "postgres.hba[0].method",
                "'trust' lets anyone from 10.0.0.0/8 in without a password");
        assertRefused(() -> parse(VALID.replace("method: scram-sha-256", "method: cert")), "postgres.hba[0].method",
                "'cert' needs TLS");
        assertRefused(() -> parse(VALID.replace("method: scram-sha-256", "method: peer")), "postgres.hba[0].method",
                "'peer' works only on local rules");
        ClusterSpec loopbackTrust = parse(VALID.replace("address: 10.0.0.0/8, method: scram-sha-256",
                "address: 127.0.0.0/8, method: trust"));
        assertEquals("trust", loopbackTrust.postgres().hba().get(0).method(), "trust from the host itself is allowed");
        ClusterSpec hostssl = parse(VALID.replace("type: host,", "type: hostssl,").replace("method: scram-sha-256",
                "method: cert"));
        assertEquals("hostssl all all 10.0.0.0/8 cert", hostssl.postgres().hba().get(0).line());
    }

    @Test
    void hbaWarningsNameTheRule() throws Exception {
        assertEquals(java.util.List.of(
                "postgres.hba[0]: type 'host' accepts connections without TLS (use hostssl)",
                "postgres.hba[0]: user 'all' from 10.0.0.0/8 lets the superuser log in from a wide network (name the"
                        + " users, or narrow the address)"), parse(VALID).warnings());
        assertEquals(java.util.List.of(), parse(VALID.replace("type: host,", "type: hostssl,")
                .replace("user: all", "user: app")).warnings());
    }

    @Test
    void haproxyPorts() {
        assertRefused(() -> parse(VALID.replace("replica_port: 5001", "replica_port: 5000")), "haproxy.replica_port",
                "must differ");
        assertRefused(() -> parse(VALID.replace("stats_port: 7000", "stats_port: 5001")), "haproxy.stats_port",
                "must differ");
        assertRefused(() -> parse(VALID.replace("primary_port: 5000", "primary_port: 0")), "haproxy.primary_port",
                "between 1 and 65535");
    }

    @Test
    void wrongShapes() {
        assertRefused(() -> parse(VALID.replace("  pg1: {address: 10.0.1.1, role: data}", "  pg1: data")), "hosts.pg1",
                "expected a mapping");
        assertRefused(() -> parse("cluster: demo\nhosts: [a, b]\n"), "hosts", "expected a mapping");
        assertRefused(() -> parse(VALID.replace("  hba:\n", "  hba: all\n").replace(
                "    - {type: host, database: all, user: all, address: 10.0.0.0/8, method: scram-sha-256}\n", "")),
                "postgres.hba", "expected a list");
    }

    @Test
    void everyErrorIsReportedAtOnce() {
        InvalidSpecException e = assertRefused(() -> parse(VALID.replace("ttl: 30", "ttl: 20")
                .replace("10.0.2.1", "10.0.2.999").replace("version: 15", "version: 99")), "patroni.ttl", "ttl");
        List<String> fields = e.errors().stream().map(SpecError::field).toList();
        assertTrue(fields.containsAll(List.of("hosts.lb1.address", "postgres.version", "patroni.ttl")), fields.toString());
        assertTrue(e.describe().lines().allMatch(l -> l.startsWith("cluster.yml: ")), e.describe());
    }
}
