package io.pgha.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class ValuesTest {
    @Test
    void names() {
        assertNull(Values.checkName("pg1"));
        assertNull(Values.checkName("a"));
        assertNull(Values.checkName("etcd-host-3"));
        assertNotNull(Values.checkName("-pg"));
        assertNotNull(Values.checkName("pg-"));
        assertNotNull(Values.checkName("pg.example"));
        assertNotNull(Values.checkName(""));
        assertNotNull(Values.checkName("a".repeat(64)));
        assertNull(Values.checkName("a".repeat(63)));
    }

    @Test
    void ipv4() {
        assertNull(Values.checkIpv4("10.77.0.11"));
        assertNull(Values.checkIpv4("127.0.1.1"));
        assertNotNull(Values.checkIpv4("256.1.1.1"));
        assertNotNull(Values.checkIpv4("1.2.3"));
        assertNotNull(Values.checkIpv4("1.2.3.4 "));
        assertNotNull(Values.checkIpv4("01.2.3.4"));
        assertNotNull(Values.checkIpv4("::1"));
    }

    @Test
    void cidr() {
        assertNull(Values.checkCidr("10.0.0.0/8"));
        assertNull(Values.checkCidr("0.0.0.0/0"));
        assertNull(Values.checkCidr("10.0.1.7/32"));
        assertNotNull(Values.checkCidr("10.0.1.7/24"));
        assertNotNull(Values.checkCidr("10.0.1.0/33"));
        assertNotNull(Values.checkCidr("10.0.1.0"));
    }

    @Test
    void safeText() {
        assertNull(Values.checkSafeText("'%m [%p] '", 100));
        assertNotNull(Values.checkSafeText("a\nb", 100));
        assertNotNull(Values.checkSafeText("a\u0000b", 100));
        assertNotNull(Values.checkSafeText("abc", 2));
    }

    @Test
    void printableEscapesControlCharacters() {
        assertEquals("a\\nb\\x00", Values.printable("a\nb\u0000"));
        assertEquals("x".repeat(80) + "...", Values.printable("x".repeat(200)));
    }
}
