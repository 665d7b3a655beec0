package io.pgha.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PgUpgradeTest {

    @Test
    void aFailureIsToldInPgUpgradesOwnWordsFromItsFirstReasonLine() {
        String output = """
                Performing Consistency Checks on Old Live Server
                ------------------------------------------------
                Checking cluster versions                                     ok
                Checking for presence of required libraries                   fatal

                Your installation references loadable libraries that are missing from the
                new installation.  You can add these libraries to the new installation,
                or remove the functions using them from the old installation.  A list of
                problem libraries is in the file:
                    /var/lib/postgresql/upgrade-check/data/pg_upgrade_output.d/loadable_libraries.txt
                Failure, exiting
                """;
        assertEquals("Checking for presence of required libraries fatal Your installation references loadable"
                + " libraries that are missing from the new installation. You can add these libraries to the new"
                + " installation, or remove the functions using them from the old installation. A list of problem"
                + " libraries is in the file: /var/lib/postgresql/upgrade-check/data/pg_upgrade_output.d/"
                + "loadable_libraries.txt", PgUpgrade.reason(output));
        assertEquals("no output", PgUpgrade.reason("\n\n"));
        assertEquals("done", PgUpgrade.reason("step 1\ndone\n"));
    }
}
