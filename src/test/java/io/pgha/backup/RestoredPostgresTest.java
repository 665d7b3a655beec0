package io.pgha.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RestoredPostgresTest {
    private static final Path BIN = Path.of("/usr/lib/postgresql/15/bin");

    @Test
    void aDrillsCopyListensOnItsSocketOnlyAndLetsOnlyItsUserIn() {
        RestoredPostgres drill = new RestoredPostgres("postgres", BIN, Path.of("/var/lib/x/drill"), 5432,
                Optional.empty());
        String conf = drill.configText();
        assertTrue(conf.contains("\nlisten_addresses = ''\n"), conf);
        assertTrue(conf.contains("\nunix_socket_directories = '/var/lib/x/drill'\n"), conf);
        assertTrue(conf.contains("\nhba_file = '/var/lib/x/drill/pg_hba.conf'\n"), conf);
        assertTrue(conf.contains("\narchive_mode = off\n"), conf);
        assertTrue(conf.contains("\nhot_standby = off\n"), conf);
        assertTrue(conf.endsWith("ssl = off\n"), conf);
        assertEquals("local all postgres peer\n", drill.hbaText());
        assertEquals(Path.of("/var/lib/x/drill/data"), drill.data());
    }

    @Test
    void aCopyForInspectionListensOnTheHostsAddressOverTlsWithTheSpecsRules() {
        RestoredPostgres copy = new RestoredPostgres("postgres", BIN, Path.of("/r"), 5432, Optional.of(
                new RestoredPostgres.Listen("10.0.3.1", List.of("hostssl all all 10.0.0.0/16 scram-sha-256"),
                        Path.of("/tls/c.crt"), Path.of("/tls/c.key"))));
        String conf = copy.configText();
        assertTrue(conf.contains("\nlisten_addresses = '10.0.3.1'\n"), conf);
        assertTrue(conf.endsWith("ssl = on\nssl_cert_file = '/tls/c.crt'\nssl_key_file = '/tls/c.key'\n"), conf);
        assertEquals("local all postgres peer\nhostssl all all 10.0.0.0/16 scram-sha-256\n", copy.hbaText());
    }
}
