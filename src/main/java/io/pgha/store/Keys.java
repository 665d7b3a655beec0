package io.pgha.store;

/** The etcd key layout of one cluster. Patroni keeps its own keys under /service/<scope>/; we never write those. */
public record Keys(String cluster) {
    public String spec() {
        return "/pgha/" + cluster + "/spec";
    }

    /** Generated passwords, created once by the first apply. */
    public String secrets() {
        return "/pgha/" + cluster + "/secrets";
    }

    public String hostsPrefix() {
        return "/pgha/" + cluster + "/hosts/";
    }

    public String status(String host) {
        return hostsPrefix() + host + "/status";
    }
}
