package io.pgha.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class Ipv4NetworksTest {
    /** Whether {@code address} is in one of {@code networks}. */
    private static boolean covered(List<String> networks, long address) {
        for (String n : networks) {
            String[] parts = n.split("/");
            int length = Integer.parseInt(parts[1]);
            long base = 0;
            for (String octet : parts[0].split("\\.")) {
                base = (base << 8) | Integer.parseInt(octet);
            }
            long mask = length == 0 ? 0 : (0xffffffffL << (32 - length)) & 0xffffffffL;
            if ((address & mask) == base) {
                return true;
            }
        }
        return false;
    }

    @Test
    void everyAddressButTheExcludedOnesInTheFewestNetworks() {
        assertEquals(List.of("0.0.0.0/0"), Ipv4Networks.allBut(Set.of()));
        assertEquals(List.of("0.0.0.1/32", "0.0.0.2/31", "0.0.0.4/30"), Ipv4Networks.allBut(Set.of("0.0.0.0"))
                .subList(0, 3));
        List<String> two = Ipv4Networks.allBut(Set.of("10.77.200.5", "10.77.200.6"));
        long a = (10L << 24) | (77L << 16) | (200L << 8);
        for (long host = a; host < a + 256; host++) {
            assertEquals(host != a + 5 && host != a + 6, covered(two, host), "10.77.200." + (host - a) + " in " + two);
        }
        assertEquals(true, covered(two, 0) && covered(two, 0xffffffffL), two.toString());
        assertEquals(30 + 2, two.size(), "the 30 networks beside their /30, and .4 and .7 in it: " + two);
    }

    @Test
    void aMalformedAddressIsAnError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Ipv4Networks.allBut(Set.of("10.0.0.256")));
        assertEquals("expected an IPv4 address such as 10.0.0.1, found '10.0.0.256'", e.getMessage());
    }
}
