package io.pgha.tls;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;

/**
 * The few DER encodings (ITU-T X.690) that a certificate and a certificate request are made of, each a complete
 * element as bytes, and the one reading the CA needs: the key inside a SubjectPublicKeyInfo. Enough for what pgha
 * issues; not a general ASN.1 library.
 */
final class Der {
    private static final DateTimeFormatter UTC_TIME = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'")
            .withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter GENERALIZED_TIME = DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private Der() {
    }

    static byte[] sequence(byte[]... elements) {
        return element(0x30, concat(elements));
    }

    static byte[] set(byte[]... elements) {
        return element(0x31, concat(elements));
    }

    static byte[] integer(BigInteger value) {
        return element(0x02, value.toByteArray());
    }

    static byte[] bool(boolean value) {
        return element(0x01, new byte[] {(byte) (value ? 0xff : 0)});
    }

    static byte[] octets(byte[] content) {
        return element(0x04, content);
    }

    /** A BIT STRING of whole bytes whose last {@code unusedBits} bits are not part of it. */
    static byte[] bits(byte[] content, int unusedBits) {
        byte[] withCount = new byte[content.length + 1];
        withCount[0] = (byte) unusedBits;
        System.arraycopy(content, 0, withCount, 1, content.length);
        return element(0x03, withCount);
    }

    static byte[] utf8(String text) {
        return element(0x0c, text.getBytes(StandardCharsets.UTF_8));
    }

    /** UTCTime through 2049, GeneralizedTime after, to the second (RFC 5280, 4.1.2.5). */
    static byte[] time(Instant at) {
        int year = at.atZone(ZoneOffset.UTC).getYear();
        return year < 2050 ? element(0x17, UTC_TIME.format(at).getBytes(StandardCharsets.US_ASCII))
                : element(0x18, GENERALIZED_TIME.format(at).getBytes(StandardCharsets.US_ASCII));
    }

    static byte[] oid(String dotted) {
        String[] arcs = dotted.split("\\.");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        base128(out, Long.parseLong(arcs[0]) * 40 + Long.parseLong(arcs[1]));
        for (int i = 2; i < arcs.length; i++) {
            base128(out, Long.parseLong(arcs[i]));
        }
        return element(0x06, out.toByteArray());
    }

    /** [n] EXPLICIT: the element wrapped whole in a constructed context tag. */
    static byte[] explicit(int n, byte[] element) {
        return element(0xa0 | n, element);
    }

    /** [n] IMPLICIT of a primitive type: the content under a context tag instead of the type's own. */
    static byte[] implicit(int n, byte[] content) {
        return element(0x80 | n, content);
    }

    static byte[] element(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
        out.write(tag);
        int length = content.length;
        if (length < 0x80) {
            out.write(length);
        } else {
            int octets = (Integer.SIZE - Integer.numberOfLeadingZeros(length) + 7) / 8;
            out.write(0x80 | octets);
            for (int i = octets - 1; i >= 0; i--) {
                out.write(length >>> (8 * i));
            }
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    /**
     * The key of a SubjectPublicKeyInfo (SEQUENCE { algorithm, BIT STRING key }): the BIT STRING's bytes without its
     * unused-bits count, what a key identifier is the SHA-1 of (RFC 5280, 4.2.1.2).
     */
    static byte[] publicKeyBits(byte[] subjectPublicKeyInfo) {
        int[] outer = header(subjectPublicKeyInfo, 0, 0x30);
        int[] algorithm = header(subjectPublicKeyInfo, outer[0], 0x30);
        int[] key = header(subjectPublicKeyInfo, algorithm[0] + algorithm[1], 0x03);
        return Arrays.copyOfRange(subjectPublicKeyInfo, key[0] + 1, key[0] + key[1]);
    }

    /** The content of the OCTET STRING at the start of {@code der}. */
    static byte[] octetsContent(byte[] der) {
        int[] h = header(der, 0, 0x04);
        return Arrays.copyOfRange(der, h[0], h[0] + h[1]);
    }

    /** The element at {@code at}, which must have {@code tag}: where its content starts and how long it is. */
    private static int[] header(byte[] der, int at, int tag) {
        if (at + 2 > der.length || (der[at] & 0xff) != tag) {
            throw new IllegalArgumentException(String.format("expected DER tag 0x%02x at offset %d, found %s", tag, at,
                    at < der.length ? String.format("0x%02x", der[at] & 0xff) : "the end"));
        }
        int first = der[at + 1] & 0xff;
        int start = at + 2;
        int length = first;
        if (first >= 0x80) {
            int octets = first & 0x7f;
            if (octets == 0 || octets > 3 || start + octets > der.length) {
                throw new IllegalArgumentException("unsupported DER length at offset " + (at + 1));
            }
            length = 0;
            for (int i = 0; i < octets; i++) {
                length = (length << 8) | (der[start + i] & 0xff);
            }
            start += octets;
        }
        if (start + length > der.length) {
            throw new IllegalArgumentException("a DER element at offset " + at + " runs past the end");
        }
        return new int[] {start, length};
    }

    private static void base128(ByteArrayOutputStream out, long value) {
        int groups = Math.max(1, (Long.SIZE - Long.numberOfLeadingZeros(value) + 6) / 7);
        for (int i = groups - 1; i >= 0; i--) {
            int group = (int) ((value >>> (7 * i)) & 0x7f);
            out.write(i > 0 ? group | 0x80 : group);
        }
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
