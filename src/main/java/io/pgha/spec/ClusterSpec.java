package io.pgha.spec;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The shared desired state of one cluster, as stored in etcd under {@code /pgha/<cluster>/spec}. */
public record ClusterSpec(
        String cluster,
        Map<String, Host> hosts,
        Postgres postgres,
        Patroni patroni,
        Haproxy haproxy) {

    public ClusterSpec {
        hosts = Collections.unmodifiableMap(new LinkedHashMap<>(hosts));
    }

    public Optional<Host> host(String name) {
        return Optional.ofNullable(hosts.get(name));
    }

    public List<Host> hostsWith(Role role) {
        return hosts.values().stream().filter(h -> h.role() == role).toList();
    }

    public record Host(String name, String address, Role role, Tags tags) {
    }

    /** Patroni's per-member tags, as in the guide. */
    public record Tags(boolean nofailover, boolean noloadbalance, boolean clonefrom, boolean nosync) {
        public static final Tags NONE = new Tags(false, false, false, false);
    }

    /** @param parameters postgresql.conf settings, values as text */
    public record Postgres(int version, Map<String, String> parameters, List<HbaRule> hba) {
        public Postgres {
            parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
            hba = List.copyOf(hba);
        }
    }

    /** One pg_hba.conf line for clients; replication lines for the data hosts are added by the agent. */
    public record HbaRule(String type, String database, String user, String address, String method) {
        public String line() {
            return type.equals("local")
                    ? String.join(" ", type, database, user, method)
                    : String.join(" ", type, database, user, address, method);
        }
    }

    /**
     * Patroni's DCS settings; defaults are the guide's, plus failsafe mode (not in the guide): with etcd unreachable,
     * a leader that still reaches every member stays primary instead of demoting itself.
     */
    public record Patroni(int ttl, int loopWait, int retryTimeout, long maximumLagOnFailover, boolean synchronousMode,
                          boolean failsafeMode) {
        public static final Patroni GUIDE = new Patroni(30, 10, 10, 1048576, false, true);
    }

    public record Haproxy(int primaryPort, int replicaPort, int statsPort) {
        public static final Haproxy DEFAULT = new Haproxy(5000, 5001, 7000);
    }
}
