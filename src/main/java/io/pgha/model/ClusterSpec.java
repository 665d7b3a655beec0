package io.pgha.model;

import java.math.BigDecimal;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The shared desired state of one cluster, as stored in etcd under {@code /pgha/<cluster>/spec}. */
public record ClusterSpec(
        String cluster,
        Map<String, Host> hosts,
        Postgres postgres,
        Patroni patroni,
        Haproxy haproxy,
        Disk disk,
        Etcd etcd,
        Optional<Backup> backup,
        Optional<Vip> vip,
        Optional<Pooler> pooler) {

    /** Ports Patroni and PostgreSQL listen on, on every data host's address. */
    public static final int POSTGRES_PORT = 5432;
    public static final int PATRONI_PORT = 8008;

    public ClusterSpec {
        hosts = Collections.unmodifiableMap(new LinkedHashMap<>(hosts));
    }

    /**
     * Worth a look, not wrong: client rules that let passwords cross the network in clear, or let the superuser in
     * from a wide network. Each names the rule by its path in the spec.
     */
    public List<String> warnings() {
        List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < postgres.hba().size(); i++) {
            HbaRule rule = postgres.hba().get(i);
            String where = "postgres.hba[" + i + "]";
            if (rule.type().equals("host") || rule.type().equals("hostnossl")) {
                out.add(where + ": type '" + rule.type() + "' accepts connections without TLS (use hostssl)");
            }
            if (rule.method().equals("md5")) {
                out.add(where + ": method 'md5' is deprecated since PostgreSQL 18 (a login with an MD5 password"
                        + " draws a warning, and a later release removes it; use scram-sha-256)");
            }
            if (!rule.type().equals("local") && (rule.user().equals("all") || rule.user().equals("postgres"))
                    && prefixLength(rule.address()) < 24 && !rule.method().equals("reject")) {
                out.add(where + ": user '" + rule.user() + "' from " + rule.address() + " lets the superuser log in"
                        + " from a wide network (name the users, or narrow the address)");
            }
        }
        if (!postgres.parameters().isEmpty() && PostgresParameters.forMajor(postgres.version()).isEmpty()) {
            out.add("postgres.parameters: not checked here, pgha-agent has no parameter table for PostgreSQL "
                    + postgres.version() + " (it has " + PostgresParameters.majors() + "); each data host checks them"
                    + " against its own postgres binary");
        }
        out.addAll(PatroniTimers.of(patroni).belowNewerMinimums());
        if (vip.isPresent() && hostsWith(Role.LB).size() == 1) {
            out.add("lb.vip: one lb host holds " + vip.get().address() + " and nothing takes it over when that host"
                    + " fails; a floating address needs a second lb host to float to");
        }
        int members = hostsWith(Role.ETCD).size();
        if (members % 2 == 0) {
            out.add("hosts: " + members + " etcd members (quorum " + (members / 2 + 1) + ") tolerate "
                    + (members - 1) / 2 + " failed member(s), no more than " + (members - 1) + " would: an odd"
                    + " number is as safe with one member less");
        }
        return out;
    }

    private static int prefixLength(String cidr) {
        int slash = cidr.indexOf('/');
        return slash < 0 ? 32 : Integer.parseInt(cidr.substring(slash + 1));
    }

    public Optional<Host> host(String name) {
        return Optional.ofNullable(hosts.get(name));
    }

    public List<Host> hostsWith(Role role) {
        return hosts.values().stream().filter(h -> h.has(role)).toList();
    }

    /**
     * @param roles            what the host is for, in the order etcd, data, lb
     * @param allowColocation  the spec accepts etcd and data on this one host (the guide advises against it)
     */
    public record Host(String name, String address, Set<Role> roles, boolean allowColocation, Tags tags) {
        public Host {
            roles = Role.ordered(roles);
        }

        public boolean has(Role role) {
            return roles.contains(role);
        }

        /** "data", or "etcd+data" for a host with several roles. */
        public String rolesId() {
            return Role.join(roles);
        }
    }

    /** The etcd hosts' names and addresses, in spec order: the membership the agents keep. */
    public Map<String, String> etcdMembers() {
        Map<String, String> out = new LinkedHashMap<>();
        hostsWith(Role.ETCD).forEach(h -> out.put(h.name(), h.address()));
        return out;
    }

    /** Patroni's per-member tags, as in the guide. */
    public record Tags(boolean nofailover, boolean noloadbalance, boolean clonefrom, boolean nosync) {
        public static final Tags NONE = new Tags(false, false, false, false);
    }

    /**
     * @param parameters    postgresql.conf settings, values as text
     * @param dataChecksums whether a new cluster's initdb turns data checksums on (fixed for the cluster's life)
     */
    public record Postgres(int version, Map<String, String> parameters, List<HbaRule> hba, boolean dataChecksums) {
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
     *
     * @param synchronousMode           commits wait for a standby (synchronous_mode true or quorum)
     * @param strict                    synchronous_mode_strict: with no synchronous standby left, commits wait
     *                                  rather than go on unreplicated
     * @param quorum                    quorum commit (Patroni 4.0+): a commit waits for any synchronousNodeCount of
     *                                  the standbys, and any of them that holds it may be promoted
     * @param synchronousNodeCount      how many standbys a commit waits for
     * @param replicaRepairAfterSeconds how long a replica may go without streaming from a healthy leader before its
     *                                  agent has Patroni reinitialise it from the leader (0: never)
     * @param fastFailoverAfterSeconds  with fast failover (synchronous modes only): how long a quorum of observers
     *                                  must see the leader unreachable before its claim is ended early (0: off, the
     *                                  leader key's ttl alone)
     */
    public record Patroni(int ttl, int loopWait, int retryTimeout, long maximumLagOnFailover, boolean synchronousMode,
                          boolean quorum, boolean strict, int synchronousNodeCount, boolean failsafeMode,
                          int replicaRepairAfterSeconds, int fastFailoverAfterSeconds) {
        public static final int REPLICA_REPAIR_AFTER_SECONDS = 120;
        public static final int FAST_FAILOVER_AFTER_SECONDS = 3;
        public static final Patroni GUIDE = new Patroni(30, 10, 10, 1048576, false, false, false, 1, true,
                REPLICA_REPAIR_AFTER_SECONDS, 0);

        public boolean fastFailover() {
            return fastFailoverAfterSeconds > 0;
        }

        /** synchronous_mode as the spec and Patroni write it: false, true or quorum. */
        public String synchronousModeText() {
            return quorum ? "quorum" : Boolean.toString(synchronousMode);
        }
    }

    /**
     * The lb hosts' floating address: keepalived on each lb host, the one that holds it answering for it.
     *
     * @param address  the address clients connect to
     * @param prefix   its network's prefix length, which every lb host's address shares
     * @param device   the interface to put it on; empty: the one that holds the host's own address
     * @param routerId VRRP's virtual router id, the same on every lb host of the cluster and unique on the network
     */
    public record Vip(String address, int prefix, Optional<String> device, int routerId) {
        public String cidr() {
            return address + "/" + prefix;
        }
    }

    /**
     * PgBouncer on every lb host, in front of HAProxy's primary port: clients authenticate with their own PostgreSQL
     * passwords (an auth query), TLS on both sides.
     *
     * @param port            where clients connect, on every address of the lb host (the floating address too)
     * @param poolMode        transaction (a server connection per transaction: a switchover pauses only the
     *                        transactions in flight) or session
     * @param defaultPoolSize server connections per database and user
     * @param maxClientConn   client connections the pooler accepts
     * @param databases       the databases it serves; empty: every database
     */
    public record Pooler(int port, String poolMode, int defaultPoolSize, int maxClientConn, List<String> databases) {
        public static final int DEFAULT_PORT = 6432;
        public static final List<String> POOL_MODES = List.of("transaction", "session");

        public Pooler {
            databases = List.copyOf(databases);
        }
    }

    public record Haproxy(int primaryPort, int replicaPort, int statsPort) {
        public static final Haproxy DEFAULT = new Haproxy(5000, 5001, 7000);

        public List<Integer> ports() {
            return List.of(primaryPort, replicaPort, statsPort);
        }
    }

    /**
     * What a host does about a disk whose fsync is slow. Above the limit it warns; with {@code refuseSlowFsync} it
     * also does not take the etcd or data role on that disk. A role already taken (its program runs, or its data is
     * there) is never given up over a slow disk: stopping etcd or Postgres would turn slowness into an outage.
     *
     * @param fsyncP99LimitMillis etcd's guidance is 10 ms
     */
    public record Disk(double fsyncP99LimitMillis, boolean refuseSlowFsync) {
        public static final Disk DEFAULT = new Disk(10, false);

        public boolean slow(double p99Millis) {
            return p99Millis > fsyncP99LimitMillis;
        }

        /** The limit as written in a spec: "10", "2.5", "0.01". */
        public String limitText() {
            return BigDecimal.valueOf(fsyncP99LimitMillis).stripTrailingZeros().toPlainString();
        }
    }

    /**
     * How etcd runs and is looked after. etcd compacts its history itself (periodic, keeping {@link
     * #COMPACTION_RETENTION}); the agents defragment a member whose unused space passes both thresholds.
     *
     * @param quotaBytes            the backend quota: at it etcd raises NOSPACE and refuses writes (the agents recover)
     * @param heartbeatMillis       raft heartbeat interval
     * @param electionMillis        raft election timeout (at least 5 heartbeats, as etcd requires)
     * @param defragUnusedPercent   defragment when this share of the database file is unused...
     * @param defragMinUnusedBytes  ...and at least this much is
     * @param allowSmallCluster     accept fewer than 3 members (no failure tolerated)
     */
    /**
     * Backups with pgBackRest into a repository on the one host with role backup, and restore drills there.
     *
     * @param retentionFull full backups kept, with the WAL they need (pgBackRest's repo1-retention-full)
     * @param retentionDiff differential backups kept (repo1-retention-diff)
     * @param full          when a full backup runs, in the repository host's time
     * @param diff          when a differential one runs, if ever
     * @param incr          when an incremental one runs, if ever
     * @param fromReplica   copy the data files from a replica (backup-standby) so the leader only sends its WAL
     * @param drill         when the repository host restores the latest backup to prove it
     */
    public record Backup(int retentionFull, int retentionDiff, Schedule full, Optional<Schedule> diff,
                         Optional<Schedule> incr, boolean fromReplica, Schedule drill) {
        public static final String DEFAULT_FULL = "0 2 * * 0";
        public static final String DEFAULT_DIFF = "0 2 * * 1-6";
        public static final String DEFAULT_DRILL = "30 4 * * *";
        public static final int DEFAULT_RETENTION_FULL = 2;
        public static final int DEFAULT_RETENTION_DIFF = 6;
    }

    public record Etcd(long quotaBytes, int heartbeatMillis, int electionMillis, int defragUnusedPercent,
                       long defragMinUnusedBytes, boolean allowSmallCluster) {
        /**
         * Periodic compaction keeping an hour of history: a watcher (an agent, Patroni) that lost its connection for
         * less than that resumes where it was, and the history held is bounded by time, which for this cluster's
         * steady writes (leader key, member keys, status heartbeats: a few MB an hour) bounds its size too.
         */
        public static final String COMPACTION_MODE = "periodic";
        public static final String COMPACTION_RETENTION = "1h";
        /**
         * 1 GiB, half etcd's own default: a hundred times what this cluster keeps with hourly compaction, while a
         * defragmentation (which blocks its member) or a new member's snapshot of a full database stays short, and the
         * memory map stays well under a small host's RAM.
         */
        public static final Etcd DEFAULT = new Etcd(1L << 30, 100, 1000, 50, 64L << 20, false);

        /** Whether a member's database needs defragmenting: enough of its file unused, by both thresholds. */
        public boolean needsDefrag(long dbBytes, long inUseBytes) {
            long unused = dbBytes - inUseBytes;
            return unused >= defragMinUnusedBytes && dbBytes > 0 && unused * 100 >= (long) defragUnusedPercent * dbBytes;
        }
    }
}
