package io.pgha.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pgha.model.Values;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class Ipv4NetworksTest {
    /** Whether {@code address} is in one of {@code networks}. */
    private static boolean covered(List<String> networks, String address) {
        return networks.stream().anyMatch(n -> Values.sameNetwork(address, n.split("/")[0],
                Integer.parseInt(n.split("/")[1])));
    }

    @Test
    void everyAddressButTheExcludedOnesInTheFewestNetworks() {
        assertEquals(List.of("0.0.0.0/0"), Ipv4Networks.allBut(Set.of()));
        assertEquals(List.of("0.0.0.1/32", "0.0.0.2/31", "0.0.0.4/30"), Ipv4Networks.allBut(Set.of("0.0.0.0"))
                .subList(0, 3));
        List<String> two = Ipv4Networks.allBut(Set.of("10.77.200.5", "10.77.200.6"));
        for (int host = 0; host < 256; host++) {
            assertEquals(host != 5 && host != 6, covered(two, "10.77.200." + host), "10.77.200." + host + " in " + two);
        }
        assertEquals(true, covered(two, "0.0.0.0") && covered(two, "255.255.255.255"), two.toString());
        assertEquals(30 + 2, two.size(), "the 30 networks beside their /30, and .4 and .7 in it: " + two);
    }

    @Test
    void aMalformedAddressIsAnError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Ipv4Networks.allBut(Set.of("10.0.0.256")));
        assertEquals("expected an IPv4 address such as 10.0.0.1, found '10.0.0.256'", e.getMessage());
    }
}
