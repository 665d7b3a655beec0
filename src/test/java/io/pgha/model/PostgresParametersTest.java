package io.pgha.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PostgresParametersTest {
    private static final PostgresParameters PG18 = PostgresParameters.forMajor(18).orElseThrow();

    @Test
    void everyPlatformsMajorHasATableTakenFromItsServer() {
        assertEquals(Set.of(15, 17, 18), PostgresParameters.majors());
        assertTrue(PG18.version().startsWith("18."), PG18.version());
        assertTrue(PostgresParameters.forMajor(15).orElseThrow().version().startsWith("15."));
        assertEquals(Optional.empty(), PostgresParameters.forMajor(16));
    }

    @Test
    void anUnknownNameIsRefusedWithTheNearestKnownOne() {
        assertEquals(Optional.of("PostgreSQL 18.6 knows no parameter 'max_conections' (did you mean"
                + " max_connections?)").map(s -> s.replace("18.6", PG18.version())),
                PG18.problem("max_conections", "200"));
        assertTrue(PG18.problem("completely_unheard_of_setting", "1").orElseThrow()
                .endsWith("'completely_unheard_of_setting'"));
        // An extension's parameter is its own business; names are case-insensitive.
        assertEquals(Optional.empty(), PG18.problem("pg_stat_statements.track", "all"));
        assertEquals(Optional.empty(), PG18.problem("datestyle", "iso, mdy"));
    }

    @Test
    void numbersAreCheckedInTheParametersOwnUnitAgainstItsRange() {
        assertEquals(Optional.empty(), PG18.problem("max_connections", "200"));
        assertEquals(Optional.of("expected 1 to 262143, found '-5'"), PG18.problem("max_connections", "-5"));
        assertEquals(Optional.of("expected an integer, found 'many'"), PG18.problem("max_connections", "many"));
        assertEquals(Optional.empty(), PG18.problem("work_mem", "4MB"));
        assertEquals(Optional.empty(), PG18.problem("work_mem", "1.5GB"));
        assertEquals(Optional.empty(), PG18.problem("work_mem", "65536"));
        assertEquals(Optional.of("expected an amount of memory (a number, with a unit of B, kB, MB, GB or TB),"
                + " found 'lots'"), PG18.problem("work_mem", "lots"));
        assertEquals(Optional.of("expected an amount of memory (a number, with a unit of B, kB, MB, GB or TB),"
                + " found '4mb': unknown unit 'mb'"), PG18.problem("work_mem", "4mb"));
        assertEquals(Optional.of("expected 64kB to 2147483647kB, found '32kB'"), PG18.problem("work_mem", "32kB"));
        // shared_buffers counts 8 kB blocks: 128MB is 16384 of them.
        assertEquals(Optional.empty(), PG18.problem("shared_buffers", "128MB"));
        assertEquals(Optional.of("expected 16 x 8kB to 1073741823 x 8kB, found '64kB' (8 x 8kB)"),
                PG18.problem("shared_buffers", "64kB"));
        assertEquals(Optional.empty(), PG18.problem("checkpoint_timeout", "5min"));
        assertEquals(Optional.of("expected 30s to 86400s, found '10s'"), PG18.problem("checkpoint_timeout", "10s"));
        assertTrue(PG18.problem("checkpoint_timeout", "5MB").orElseThrow().contains("unknown unit 'MB'"));
        assertTrue(PG18.problem("max_connections", "5MB").orElseThrow().contains("takes no unit"));
    }

    @Test
    void booleansAndEnumsTakeWhatPostgresTakes() {
        for (String yes : new String[] {"on", "OFF", "true", "f", "yes", "0"}) {
            assertEquals(Optional.empty(), PG18.problem("hot_standby_feedback", yes), yes);
        }
        assertEquals(Optional.of("expected on or off (or true, false, yes, no, 1, 0), found 'maybe'"),
                PG18.problem("hot_standby_feedback", "maybe"));
        assertEquals(Optional.empty(), PG18.problem("wal_level", "Logical"));
        assertEquals(Optional.empty(), PG18.problem("synchronous_commit", "on"));
        assertEquals(Optional.of("expected one of minimal, replica, logical, found 'full'"),
                PG18.problem("wal_level", "full"));
    }

    @Test
    void aBinarysOwnDescriptionChecksNamesTypesAndUnitlessRanges() {
        PostgresParameters own = PostgresParameters.fromDescribeConfig("18.9",
                "max_connections\tpostmaster\tConnections\tINTEGER\t100\t1\t262143\tSets the maximum.\t\n"
                        + "work_mem\tuser\tResource Usage / Memory\tINTEGER\t4096\t64\t2147483647\tSets memory.\t\n");
        assertTrue(own.problem("max_conections", "5").orElseThrow().contains("did you mean max_connections?"));
        assertEquals(Optional.of("expected 1 to 262143, found '0'"), own.problem("max_connections", "0"));
        assertEquals(Optional.empty(), own.problem("work_mem", "4MB"));
        assertTrue(own.problem("work_mem", "lots").isPresent());
    }
}
