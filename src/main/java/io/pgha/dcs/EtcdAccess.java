package io.pgha.dcs;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Collection;
import io.pgha.model.Role;

/**
 * Who may do what in etcd, least privilege for each: admin (pghactl) is root; Patroni has its own prefix and nothing
 * else; each host's agent reads the spec and writes its own status, and a data host's agent also reads the secrets
 * and takes the restart lock, and pauses the poolers for its own restart (writes the pause key, reads the hosts'
 * statuses: none holds a secret). For fast failover every agent reads Patroni's leader key and writes its own verdict
 * on the leader; a data host's agent also reads the others' verdicts and may end the leader's claim (delete the leader
 * key, write the early failover's record and guard): its host holds Patroni's etcd password, which can do that
 * already, so this widens nothing. An etcd host's agent is root: its host holds the whole database on disk already, and
 * the agent changes the membership and defragments, which etcd allows root only. An lb host's agent cannot read a
 * password; it reads pghactl's pause of the poolers. Users of client certificates are
 * their common names ({@code agent-<host>}, {@code admin}); Patroni logs in with a password. A host that leaves the
 * spec keeps its user with the least of all (read the spec, write its status), so that it learns to stop its
 * programs; a host the spec never listed has none, and etcd refuses it.
 *
 * @param roles  role name to the permissions it holds
 * @param users  user name to the one role it has
 */
public record EtcdAccess(Map<String, List<Permission>> roles, Map<String, String> users) {
    public static final String ADMIN = "admin";
    public static final String ROOT = "root";
    public static final String PATRONI = "patroni";
    /** Users and roles named so belong to hosts, and go when their host leaves. */
    public static final String AGENT_PREFIX = "agent-";

    public EtcdAccess {
        roles = Map.copyOf(roles);
        users = Map.copyOf(users);
    }

    /** One grant: read or read-write, on one key or (prefix) every key under it. */
    public record Permission(String key, boolean prefix, boolean write) {
    }

    /**
     * The access for a cluster whose hosts are {@code hosts} (name to its roles): the spec's hosts and agent.yml's
     * etcd members, which run agents before any spec exists.
     */
    public static EtcdAccess of(String cluster, Map<String, java.util.Set<Role>> hosts) {
        return of(cluster, hosts, PATRONI);
    }

    /** As {@link #of(String, Map)}, with Patroni logging in as {@code patroniUser} (a rotation alternates two). */
    public static EtcdAccess of(String cluster, Map<String, java.util.Set<Role>> hosts, String patroniUser) {
        Keys keys = new Keys(cluster);
        Map<String, List<Permission>> roles = new LinkedHashMap<>();
        Map<String, String> users = new LinkedHashMap<>();
        users.put(ROOT, ROOT);
        users.put(ADMIN, ROOT);
        roles.put(PATRONI, List.of(new Permission(keys.patroniPrefix(), true, true)));
        users.put(patroniUser, PATRONI);
        hosts.forEach((host, hostRoles) -> {
            String name = AGENT_PREFIX + host;
            if (hostRoles.contains(Role.ETCD)) {
                users.put(name, ROOT);
                return;
            }
            List<Permission> grants = new java.util.ArrayList<>(agentBasics(keys, host));
            if (!hostRoles.isEmpty()) {
                grants.add(new Permission(keys.verdict(host), false, true));
            }
            if (!hostRoles.isEmpty() && !hostRoles.contains(Role.DATA)) {
                grants.add(new Permission(keys.patroniLeader(), false, false));
            }
            if (hostRoles.contains(Role.DATA)) {
                grants.add(new Permission(keys.verdictsPrefix(), true, false));
                grants.add(new Permission(keys.patroniLeader(), false, true));
                grants.add(new Permission(keys.earlyFailover(), false, true));
                grants.add(new Permission(keys.earlyFailoverGuard(), false, true));
                // Why its leader changed: a rolling restart's switchover, an early failover.
                grants.add(new Permission(keys.leaderChangesPrefix(), true, true));
                grants.add(new Permission(keys.secrets(), false, false));
                grants.add(new Permission(keys.restartLock(), false, true));
                // The leader pauses the poolers for its restart and reads the lb hosts' word that they did.
                grants.add(new Permission(keys.poolerPause(), false, true));
                grants.add(new Permission(keys.hostsPrefix(), true, false));
                // Its Patroni and PostgreSQL refuse the revoked hosts' addresses.
                grants.add(new Permission(keys.revoked(), false, false));
            }
            if (hostRoles.contains(Role.LB)) {
                grants.add(new Permission(keys.poolerPause(), false, false));
            }
            roles.put(name, List.copyOf(grants));
            users.put(name, name);
        });
        return new EtcdAccess(roles, users);
    }

    /**
     * This access plus, for every host user in {@code existingUsers} it does not name (a host that left the spec),
     * the least an agent needs: to read the spec that took its roles away and to say that it stopped.
     */
    public EtcdAccess withDeparted(String cluster, Collection<String> existingUsers) {
        Keys keys = new Keys(cluster);
        Map<String, List<Permission>> allRoles = new LinkedHashMap<>(roles);
        Map<String, String> allUsers = new LinkedHashMap<>(users);
        for (String user : existingUsers) {
            if (user.startsWith(AGENT_PREFIX) && !users.containsKey(user)) {
                allRoles.put(user, agentBasics(keys, user.substring(AGENT_PREFIX.length())));
                allUsers.put(user, user);
            }
        }
        return new EtcdAccess(allRoles, allUsers);
    }

    private static List<Permission> agentBasics(Keys keys, String host) {
        return List.of(new Permission(keys.spec(), false, false), new Permission(keys.maintenance(), false, false),
                new Permission(keys.hostsPrefix() + host + "/", true, true));
    }
}
