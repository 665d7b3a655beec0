package io.pgha.postgres;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

class RolePasswordsTest {

    @Test
    void aVerifierMatchesItsPasswordOnly() {
        String verifier = RolePasswords.scramVerifier("s3cret", new SecureRandom());
        assertTrue(verifier.matches("SCRAM-SHA-256\\$4096:[A-Za-z0-9+/=]+\\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+"), verifier);
        assertTrue(RolePasswords.matches(verifier, "s3cret"));
        assertFalse(RolePasswords.matches(verifier, "s3cret2"));
        assertFalse(RolePasswords.matches("md5abc", "s3cret"), "an md5 hash is never taken as a match");
    }

    @Test
    void matchesAVerifierPostgresMade() {
        // SELECT rolpassword after ALTER ROLE x PASSWORD 'pencil' on PostgreSQL 15 (password_encryption scram).
        String made = "SCRAM-SHA-256$4096:UjGxffQ3XXR/CZzaQXasvQ==$EyE3EBFpjSeqNgno8/8FazEePp0mBds/LIUqBdw5VIQ="
                + ":hyjBPL18EYmRBRYv/XZ5ydjJl/7ct+GUnlpCH7roehs=";
        assertTrue(RolePasswords.matches(made, "pencil"), "as PostgreSQL computes it");
    }
}
