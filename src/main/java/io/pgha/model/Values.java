package io.pgha.model;

import java.util.regex.Pattern;

/**
 * The shapes a value may take before it goes into a generated file or a command line.
 * Each check returns a reason when the value is unfit, or null when it is fine.
 */
public final class Values {
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern PARAMETER = Pattern.compile("[a-z_][a-z0-9_]*(\\.[a-z_][a-z0-9_]*)?");
    private static final Pattern HBA_TOKEN = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.+-]*(,[A-Za-z0-9_][A-Za-z0-9_.+-]*)*");

    private Values() {
    }

    /** Host and cluster names: a lowercase DNS label, so they are safe in file names, YAML, haproxy.cfg and etcd keys. */
    public static String checkName(String value) {
        if (NAME.matcher(value).matches()) {
            return null;
        }
        return "expected a lowercase DNS label (a-z, 0-9, '-', at most 63 characters, no leading or trailing '-'), found '"
                + printable(value) + "'";
    }

    public static String checkIpv4(String value) {
        var m = IPV4.matcher(value);
        if (m.matches()) {
            for (int i = 1; i <= 4; i++) {
                String octet = m.group(i);
                if (Integer.parseInt(octet) > 255 || (octet.length() > 1 && octet.startsWith("0"))) {
                    return "expected an IPv4 address such as 10.0.0.1, found '" + printable(value) + "'";
                }
            }
            if (value.equals("0.0.0.0") || value.startsWith("255.")) {
                return "expected a host address, found '" + value + "'";
            }
            return null;
        }
        return "expected an IPv4 address such as 10.0.0.1, found '" + printable(value) + "'";
    }

    /**
     * A database name the agent may write into pgbouncer.ini and pass on: PostgreSQL's unquoted identifiers (letters,
     * digits, '_', '$' after the first), at most 63 characters.
     */
    public static String checkDatabaseName(String value) {
        if (value.matches("[A-Za-z_][A-Za-z0-9_$]{0,62}")) {
            return null;
        }
        return "expected a database name of letters, digits and '_' (at most 63, not starting with a digit), found '"
                + printable(value) + "'";
    }

    /** A Linux network interface name: at most 15 characters, none of them '/', ':' or blank. */
    public static String checkInterfaceName(String value) {
        if (value.matches("[A-Za-z0-9_.-]{1,15}")) {
            return null;
        }
        return "expected a network interface name (at most 15 of a-z, A-Z, 0-9, '_', '.', '-'), found '"
                + printable(value) + "'";
    }

    /** Whether two valid IPv4 addresses are in one network of {@code prefix} bits. */
    public static boolean sameNetwork(String a, String b, int prefix) {
        long mask = prefix == 0 ? 0 : (0xffffffffL << (32 - prefix)) & 0xffffffffL;
        return (ipv4Bits(a) & mask) == (ipv4Bits(b) & mask);
    }

    /** A dotted quad already checked (digits, four octets of 0-255) as the 32 bits it stands for. */
    public static long ipv4Bits(String address) {
        long ip = 0;
        for (String octet : address.split("\\.")) {
            ip = (ip << 8) | Integer.parseInt(octet);
        }
        return ip;
    }

    /** An IPv4 network in CIDR form whose host bits are zero, e.g. 10.0.1.0/24. */
    public static String checkCidr(String value) {
        int slash = value.indexOf('/');
        String expected = "expected an IPv4 network such as 10.0.1.0/24, found '" + printable(value) + "'";
        if (slash < 0) {
            return expected;
        }
        String address = value.substring(0, slash);
        String bits = value.substring(slash + 1);
        if (!bits.matches("\\d{1,2}") || Integer.parseInt(bits) > 32) {
            return expected;
        }
        var m = IPV4.matcher(address);
        if (!m.matches()) {
            return expected;
        }
        long ip = 0;
        for (int i = 1; i <= 4; i++) {
            int octet = Integer.parseInt(m.group(i));
            if (octet > 255) {
                return expected;
            }
            ip = (ip << 8) | octet;
        }
        int prefix = Integer.parseInt(bits);
        long hostMask = prefix == 32 ? 0 : (1L << (32 - prefix)) - 1;
        if ((ip & hostMask) != 0) {
            return "host bits are set in '" + value + "' (the network address for /" + prefix + " ends in zeros)";
        }
        return null;
    }

    public static String checkParameterName(String value) {
        return PARAMETER.matcher(value).matches()
                ? null
                : "expected a PostgreSQL parameter name (lowercase letters, digits, '_'), found '" + printable(value) + "'";
    }

    /** Text that goes inside a config file value: printable, one line, bounded. */
    public static String checkSafeText(String value, int maxLength) {
        if (value.length() > maxLength) {
            return "longer than " + maxLength + " characters";
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                return "contains a control character (newline, tab or similar) at position " + i;
            }
        }
        return null;
    }

    public static String checkHbaToken(String value) {
        return HBA_TOKEN.matcher(value).matches()
                ? null
                : "expected a database or user name list (letters, digits, '_', '.', '+', '-', comma-separated), found '"
                        + printable(value) + "'";
    }

    /** A value as it may be shown in an error message: control characters escaped, length capped. */
    public static String printable(String value) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < value.length() && out.length() < 80; i++) {
            char c = value.charAt(i);
            if (c == '\n') {
                out.append("\\n");
            } else if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\x%02x", (int) c));
            } else {
                out.append(c);
            }
        }
        return value.length() > 80 ? out + "..." : out.toString();
    }
}
