package io.pgha.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Encodings checked against X.690's examples and what openssl asn1parse shows for the same values. */
class DerTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void encodesTheElementsACertificateIsMadeOf() {
        assertEquals("06082a8648ce3d040302", HEX.formatHex(Der.oid("1.2.840.10045.4.3.2")), "ecdsa-with-SHA256");
        assertEquals("0603551d13", HEX.formatHex(Der.oid("2.5.29.19")));
        assertEquals("020100", HEX.formatHex(Der.integer(BigInteger.ZERO)));
        assertEquals("02020080", HEX.formatHex(Der.integer(BigInteger.valueOf(128))),
                "a leading zero keeps it positive");
        assertEquals("0101ff", HEX.formatHex(Der.bool(true)));
        assertEquals("03020106", HEX.formatHex(Der.bits(new byte[] {0x06}, 1)));
        assertEquals("170d3236313230363030303030305a", HEX.formatHex(Der.time(Instant.parse("2026-12-06T00:00:00Z"))));
        assertEquals("180f32303530303130313030303030305a",
                HEX.formatHex(Der.time(Instant.parse("2050-01-01T00:00:00Z"))));
        assertEquals("3000", HEX.formatHex(Der.sequence()));
        assertEquals("a003020102", HEX.formatHex(Der.explicit(0, Der.integer(BigInteger.TWO))));
        assertEquals("8203706731", HEX.formatHex(Der.implicit(2, "pg1".getBytes(StandardCharsets.US_ASCII))),
                "a dNSName: [2] IMPLICIT IA5String");
        byte[] long200 = Der.octets(new byte[200]);
        assertEquals("0481c8", HEX.formatHex(long200, 0, 3), "a length over 127 in the long form");
        byte[] long300 = Der.octets(new byte[300]);
        assertEquals("0482012c", HEX.formatHex(long300, 0, 4));
        assertArrayEquals(new byte[300], Der.octetsContent(long300));
    }

    @Test
    void readsTheKeyOfASubjectPublicKeyInfoAndNamesWhatItDidNotFind() {
        byte[] info = Der.sequence(Der.sequence(Der.oid("1.2.840.10045.2.1")), Der.bits(new byte[] {4, 1, 2}, 0));
        assertArrayEquals(new byte[] {4, 1, 2}, Der.publicKeyBits(info));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Der.publicKeyBits(Der.octets(new byte[3])));
        assertEquals("expected DER tag 0x30 at offset 0, found 0x04", e.getMessage());
    }
}
