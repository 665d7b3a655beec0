package io.pgha.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgha.model.AgentConfig;
import io.pgha.model.AgentConfigTest;
import io.pgha.model.ClusterSpec;
import io.pgha.model.ClusterSpecParser;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class PgBackRestConfigTest {
    private static final String SPEC = """
            cluster: demo
            etcd: {allow_small_cluster: true}
            hosts:
              etcd1: {address: 10.0.0.1, role: etcd}
              pg1: {address: 10.0.1.1, role: data}
              pg2: {address: 10.0.1.2, role: data}
              backup1: {address: 10.0.3.1, role: backup}
              spare1: {address: 10.0.4.1, roles: []}
            backup: {retention: {full: 3, diff: 5}, from: leader}
            """;
    private static final PgBackRestConfig.Paths PATHS = new PgBackRestConfig.Paths(
            Path.of("/var/lib/pgha-agent/pgbackrest"), Path.of("/var/log/pgha-agent/pgbackrest"),
            Path.of("/var/lib/pgha-agent/pgbackrest-spool"), Path.of("/var/lib/pgha-agent/pgbackrest/lock"));
    private static final PgBackRestConfig.Tls TLS = new PgBackRestConfig.Tls(Path.of("/etc/pgha-agent/tls/ca.crt"),
            Path.of("/etc/pgha-agent/tls/pgbackrest.crt"), Path.of("/etc/pgha-agent/tls/pgbackrest.key"));
    private static final PgBackRestConfig.Postgres PG = new PgBackRestConfig.Postgres(
            Path.of("/var/lib/pgha-agent/postgresql/15/data"), Path.of("/run/pgha-agent/postgresql"), 5432);

    private static ClusterSpec spec() throws Exception {
        AgentConfig agent = AgentConfig.parse(AgentConfigTest.MINIMAL, "agent.yml");
        return new ClusterSpecParser(agent).parse(SPEC, "spec");
    }

    @Test
    void theRepositoryHostBacksUpEveryDataHostOverTlsAndLetsSpareHostsRestore() throws Exception {
        ClusterSpec spec = spec();
        String conf = PgBackRestConfig.repository(spec, spec.host("backup1").orElseThrow(),
                spec.backup().orElseThrow(), PATHS, TLS, host -> PG);
        assertEquals("""
                # Written by pgha-agent from the cluster spec; changes here are undone.

                [global]
                repo1-path=/var/lib/pgha-agent/pgbackrest
                repo1-retention-full=3
                repo1-retention-diff=5
                start-fast=y
                backup-standby=n
                log-path=/var/log/pgha-agent/pgbackrest
                lock-path=/var/lib/pgha-agent/pgbackrest/lock
                log-level-console=warn
                log-level-file=info
                compress-type=lz4
                tls-server-address=10.0.3.1
                tls-server-port=8432
                tls-server-ca-file=/etc/pgha-agent/tls/ca.crt
                tls-server-cert-file=/etc/pgha-agent/tls/pgbackrest.crt
                tls-server-key-file=/etc/pgha-agent/tls/pgbackrest.key
                tls-server-auth=pgbackrest-pg1=demo
                tls-server-auth=pgbackrest-pg2=demo
                tls-server-auth=pgbackrest-spare1=demo

                [demo]
                pg1-host=10.0.1.1
                pg1-host-type=tls
                pg1-host-port=8432
                pg1-host-ca-file=/etc/pgha-agent/tls/ca.crt
                pg1-host-cert-file=/etc/pgha-agent/tls/pgbackrest.crt
                pg1-host-key-file=/etc/pgha-agent/tls/pgbackrest.key
                pg1-path=/var/lib/pgha-agent/postgresql/15/data
                pg1-socket-path=/run/pgha-agent/postgresql
                pg1-port=5432
                pg2-host=10.0.1.2
                pg2-host-type=tls
                pg2-host-port=8432
                pg2-host-ca-file=/etc/pgha-agent/tls/ca.crt
                pg2-host-cert-file=/etc/pgha-agent/tls/pgbackrest.crt
                pg2-host-key-file=/etc/pgha-agent/tls/pgbackrest.key
                pg2-path=/var/lib/pgha-agent/postgresql/15/data
                pg2-socket-path=/run/pgha-agent/postgresql
                pg2-port=5432
                """, conf);
    }

    @Test
    void aSpareHostRestoresFromTheRepositoryOverTls() throws Exception {
        ClusterSpec spec = spec();
        assertEquals("""
                # Written by pgha-agent from the cluster spec; changes here are undone.

                [global]
                repo1-host=10.0.3.1
                repo1-path=/srv/backup1/pgbackrest
                repo1-host-type=tls
                repo1-host-port=8432
                repo1-host-ca-file=/etc/pgha-agent/tls/ca.crt
                repo1-host-cert-file=/etc/pgha-agent/tls/pgbackrest.crt
                repo1-host-key-file=/etc/pgha-agent/tls/pgbackrest.key
                io-timeout=15
                log-path=/var/log/pgha-agent/pgbackrest
                lock-path=/var/lib/pgha-agent/pgbackrest/lock
                log-level-console=warn
                log-level-file=info
                compress-type=lz4

                [demo]
                pg1-path=/var/lib/pgha-agent/pgbackrest/restore/data
                """, PgBackRestConfig.spareRestore(spec, spec.host("backup1").orElseThrow(),
                Path.of("/srv/backup1/pgbackrest"), PATHS, TLS,
                Path.of("/var/lib/pgha-agent/pgbackrest/restore/data")));
    }

    @Test
    void aDataHostPushesItsWalToTheRepositoryAndLetsOnlyTheRepositoryHostIn() throws Exception {
        ClusterSpec spec = spec();
        String conf = PgBackRestConfig.data(spec, spec.host("pg2").orElseThrow(), spec.host("backup1").orElseThrow(),
                Path.of("/srv/backup1/pgbackrest"), PATHS, TLS, PG);
        assertTrue(conf.contains("\nrepo1-host=10.0.3.1\nrepo1-path=/srv/backup1/pgbackrest\n"
                + "repo1-host-type=tls\n"), conf);
        assertTrue(conf.contains("\narchive-async=y\nspool-path=/var/lib/pgha-agent/pgbackrest-spool\n"), conf);
        assertTrue(conf.contains("\ntls-server-address=10.0.1.2\n"), conf);
        assertTrue(conf.contains("\ntls-server-auth=pgbackrest-backup1=demo\n"), conf);
        assertTrue(conf.endsWith("""
                [demo]
                pg1-path=/var/lib/pgha-agent/postgresql/15/data
                pg1-socket-path=/run/pgha-agent/postgresql
                pg1-port=5432
                """), conf);
    }

    @Test
    void aRestoreRunsFromTheRepositoryIntoADirectoryOfItsOwn() throws Exception {
        assertEquals("""
                # Written by pgha-agent from the cluster spec; changes here are undone.

                [global]
                repo1-path=/var/lib/pgha-agent/pgbackrest
                log-path=/var/log/pgha-agent/pgbackrest
                lock-path=/var/lib/pgha-agent/pgbackrest/lock
                log-level-console=warn
                log-level-file=info
                compress-type=lz4

                [demo]
                pg1-path=/var/lib/pgha-agent/drill
                """, PgBackRestConfig.restore(spec(), PATHS, Path.of("/var/lib/pgha-agent/drill")));
    }

    @Test
    void aLineBreakNeverReachesTheFile() throws Exception {
        ClusterSpec spec = spec();
        PgBackRestConfig.Paths broken = new PgBackRestConfig.Paths(Path.of("/repo\n[evil]"), PATHS.log(),
                PATHS.spool(), PATHS.lock());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PgBackRestConfig.repository(
                spec, spec.host("backup1").orElseThrow(), spec.backup().orElseThrow(), broken, TLS, host -> PG));
        assertEquals("pgbackrest.conf: repo1-path must be one line, found a line break", e.getMessage());
    }
}
