package io.pgha.net;

import io.pgha.model.Values;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** IPv4 address space as networks in CIDR form. */
public final class Ipv4Networks {
    private Ipv4Networks() {
    }

    /**
     * The fewest networks that hold every IPv4 address except {@code excluded} (dotted quads), in address order: at
     * most 32 per excluded address. An allow-list that can say only what to allow refuses just those addresses.
     */
    public static List<String> allBut(Set<String> excluded) {
        TreeSet<Long> out = new TreeSet<>();
        excluded.forEach(a -> out.add(bits(a)));
        List<String> networks = new ArrayList<>();
        cover(0, 0, out, networks);
        return networks;
    }

    /** Adds the network {@code base/length}, whole if none of {@code out} is in it, else each half of it in turn. */
    private static void cover(long base, int length, TreeSet<Long> out, List<String> networks) {
        long size = 1L << (32 - length);
        Long inside = out.ceiling(base);
        if (inside == null || inside >= base + size) {
            networks.add(text(base) + "/" + length);
        } else if (length < 32) {
            cover(base, length + 1, out, networks);
            cover(base + size / 2, length + 1, out, networks);
        }
    }

    private static long bits(String address) {
        String[] octets = address.split("\\.", -1);
        for (String octet : octets) {
            if (octets.length != 4 || !octet.matches("\\d{1,3}") || Integer.parseInt(octet) > 255) {
                throw new IllegalArgumentException("expected an IPv4 address such as 10.0.0.1, found '" + address
                        + "'");
            }
        }
        return Values.ipv4Bits(address);
    }

    /** 32 bits as a dotted quad. */
    public static String text(long ip) {
        return ((ip >> 24) & 255) + "." + ((ip >> 16) & 255) + "." + ((ip >> 8) & 255) + "." + (ip & 255);
    }
}
