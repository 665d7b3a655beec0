package io.pgha.dcs;

/**
 * The etcd key layout of one cluster. Patroni keeps its own keys under /service/<scope>/; we write none of them but
 * the leader key, which fast failover deletes (on a compare) to end a dead leader's claim, and remove them all only for
 * a whole-cluster restore, with every Patroni stopped.
 */
public record Keys(String cluster) {
    public String spec() {
        return "/pgha/" + cluster + "/spec";
    }

    /** Generated passwords, created once by the first apply. */
    public String secrets() {
        return "/pgha/" + cluster + "/secrets";
    }

    /** The cluster's maintenance mode (see {@link io.pgha.model.Maintenance}): present while paused. */
    public String maintenance() {
        return "/pgha/" + cluster + "/maintenance";
    }

    /** pghactl's pause of the poolers during a switchover (see {@link io.pgha.model.PoolerPause}). */
    public String poolerPause() {
        return "/pgha/" + cluster + "/pooler-pause";
    }

    /** Held by the one data host that is restarting Postgres: rolling restarts take turns through it. */
    public String restartLock() {
        return "/pgha/" + cluster + "/locks/restart";
    }

    /** Held by the one agent that defragments or restarts an etcd member: one member at a time. */
    public String etcdLock() {
        return "/pgha/" + cluster + "/locks/etcd";
    }

    /** Patroni's own keys (its namespace /service/, its scope the cluster name). */
    public String patroniPrefix() {
        return "/service/" + cluster + "/";
    }

    /** Patroni's leader key: the leading member's name, on the leader's lease. */
    public String patroniLeader() {
        return patroniPrefix() + "leader";
    }

    /** Fast failover: each observer's verdict on the leader, on the observer's lease. */
    public String verdictsPrefix() {
        return "/pgha/" + cluster + "/leader-verdicts/";
    }

    public String verdict(String host) {
        return verdictsPrefix() + host;
    }

    /** The last early failover's record (see {@link io.pgha.model.EarlyFailover}), kept until the next one. */
    public String earlyFailover() {
        return "/pgha/" + cluster + "/early-failover";
    }

    /** Present for a ttl after an early failover, on a lease of that ttl: at most one early failover per ttl. */
    public String earlyFailoverGuard() {
        return "/pgha/" + cluster + "/locks/early-failover";
    }

    /** Why the leader changed, one key each (see {@link io.pgha.model.LeaderChange}), the newest kept. */
    public String leaderChangesPrefix() {
        return "/pgha/" + cluster + "/leader-changes/";
    }

    /** Sorted by time: the epoch ms zero-padded, then who recorded it (two may record in the same ms). */
    public String leaderChange(long at, String by) {
        return leaderChangesPrefix() + String.format("%015d", at) + "-" + by.replaceAll("[^A-Za-z0-9_.-]", "_");
    }

    public String hostsPrefix() {
        return "/pgha/" + cluster + "/hosts/";
    }

    /** A job asked of one host's agent by pghactl (a backup, a restore): the newest request only. */
    public String request(String host) {
        return hostsPrefix() + host + "/request";
    }

    public String status(String host) {
        return hostsPrefix() + host + "/status";
    }

    /** A join token that was used (by its nonce), kept until the token expires: each is good for one enrollment. */
    public String usedJoinToken(String nonce) {
        return "/pgha/" + cluster + "/join-tokens-used/" + nonce;
    }

    /** Hosts revoked by pghactl: no certificate renewed, no etcd user, refused by Patroni and Postgres. */
    public String revoked() {
        return "/pgha/" + cluster + "/revoked";
    }
}
