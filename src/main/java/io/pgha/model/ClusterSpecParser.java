package io.pgha.model;

import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Parses and validates a cluster spec against this installation's agent.yml. Every rule that would let a bad value
 * reach a host lives here, so a spec either passes whole or changes nothing anywhere.
 */
public final class ClusterSpecParser {
    /** The common name of pghactl's certificate, which no host may take. */
    public static final String ADMIN_NAME = "admin";
    static final Set<Integer> POSTGRES_VERSIONS = Set.of(13, 14, 15, 16, 17, 18);
    static final Set<String> HBA_TYPES = Set.of("host", "hostssl", "hostnossl", "local");
    static final Set<String> HBA_METHODS = Set.of("scram-sha-256", "md5", "trust", "reject", "cert", "peer");
    /** Settings the agent and Patroni own; a spec that sets them would fight them. */
    static final Set<String> MANAGED_PARAMETERS = Set.of("listen_addresses", "port", "data_directory", "hba_file",
            "ident_file", "config_file", "unix_socket_directories", "hot_standby", "wal_keep_segments");

    /** Empty for a spec checked on its own (a workstation without agent.yml): no cross-checks against it. */
    private final Optional<AgentConfig> agent;

    public ClusterSpecParser(AgentConfig agent) {
        this.agent = Optional.of(agent);
    }

    private ClusterSpecParser() {
        this.agent = Optional.empty();
    }

    /**
     * A parser that checks the spec alone: every rule but the cluster name and etcd members of agent.yml, and with
     * the default ports where agent.yml would name them.
     */
    public static ClusterSpecParser standalone() {
        return new ClusterSpecParser();
    }

    public ClusterSpec parse(String text, String source) throws InvalidSpecException {
        List<SpecError> errors = new ArrayList<>();
        Node root = Node.root(YamlDocument.parse(text, errors), errors);
        if (!errors.isEmpty()) {
            throw new InvalidSpecException(source, errors);
        }
        root.expectMapping(Set.of("cluster", "hosts", "postgres", "patroni", "haproxy", "disk", "etcd", "backup", "lb",
                "pooler"));

        Node clusterNode = root.field("cluster");
        String cluster = clusterNode.requiredText();
        if (!clusterNode.isMissing() && agent.isPresent() && !cluster.equals(agent.get().cluster())) {
            clusterNode.error("expected '" + agent.get().cluster() + "' (the cluster in agent.yml), found '"
                    + Values.printable(cluster) + "'");
        }

        Map<String, ClusterSpec.Host> hosts = readHosts(root.field("hosts"));
        ClusterSpec.Postgres postgres = readPostgres(root.field("postgres"));
        ClusterSpec.Patroni patroni = readPatroni(root.field("patroni"));
        ClusterSpec.Haproxy haproxy = readHaproxy(root.field("haproxy"));
        checkLbPorts(root.field("haproxy"), hosts.values(), haproxy);
        ClusterSpec.Disk disk = readDisk(root.field("disk"));
        ClusterSpec.Etcd etcd = readEtcd(root.field("etcd"));
        checkEtcdCount(root, hosts, etcd);
        Optional<ClusterSpec.Backup> backup = readBackup(root.field("backup"));
        checkBackupHost(root, hosts, backup.isPresent() || !root.field("backup").isMissing());
        if (!root.field("backup").isMissing()) {
            for (String name : List.of("archive_mode", "archive_command")) {
                if (postgres.parameters().containsKey(name)) {
                    root.field("postgres").field("parameters").field(name).error("is set by pgha-agent while the"
                            + " spec has a backup section (WAL goes to the pgBackRest repository)");
                }
            }
        }

        Optional<ClusterSpec.Vip> vip = readVip(root.field("lb"), cluster, hosts.values());
        Optional<ClusterSpec.Pooler> pooler = readPooler(root.field("pooler"), hosts.values(), haproxy);

        if (!errors.isEmpty()) {
            throw new InvalidSpecException(source, errors);
        }
        return new ClusterSpec(cluster, hosts, postgres, patroni, haproxy, disk, etcd, backup, vip, pooler);
    }

    private Map<String, ClusterSpec.Host> readHosts(Node node) {
        Map<String, ClusterSpec.Host> hosts = new LinkedHashMap<>();
        if (node.isMissing()) {
            node.error("is required: every host with its address and role");
            return hosts;
        }
        Map<String, String> addressOwner = new HashMap<>();
        List<SpecError> before = List.copyOf(node.errors());
        node.entries().forEach((name, entry) -> {
            AgentConfig.check(entry, Values.checkName(name) == null ? null : "host name " + Values.checkName(name));
            if (name.equals(ADMIN_NAME)) {
                // A host's certificate is named for it: one named admin would pass for pghactl's (pghactl logs).
                entry.error("host name 'admin' is taken by pghactl's certificate: expected any other name");
            }
            entry.expectMapping(Set.of("address", "role", "roles", "allow_colocation", "tags"));
            Node addressNode = entry.field("address");
            String address = addressNode.requiredText();
            if (!addressNode.isMissing()) {
                String problem = Values.checkIpv4(address);
                if (problem != null) {
                    addressNode.error(problem);
                } else {
                    String other = addressOwner.putIfAbsent(address, name);
                    if (other != null) {
                        addressNode.error("duplicate address " + address + ", already used by host '" + other + "'");
                    }
                }
            }
            Optional<Set<Role>> read = readRoles(entry);
            Set<Role> roles = read.orElse(Set.of());
            ClusterSpec.Tags tags = readTags(entry.field("tags"));
            if (tags != ClusterSpec.Tags.NONE && !roles.isEmpty() && !roles.contains(Role.DATA)) {
                entry.field("tags").error("only data hosts take Patroni tags, this host's role is "
                        + Role.join(roles));
            }
            boolean allowColocation = entry.field("allow_colocation").bool(false);
            if (roles.contains(Role.ETCD) && roles.contains(Role.DATA) && !allowColocation) {
                entry.field(entry.field("roles").isMissing() ? "role" : "roles").error("etcd and data on one host"
                        + " compete for its disk, and a slow etcd fsync costs the cluster its leader (the guide"
                        + " puts them on separate hosts); set hosts." + name + ".allow_colocation: true to accept");
            }
            if (read.isPresent()) {
                hosts.put(name, new ClusterSpec.Host(name, address, roles, allowColocation, tags));
            }
        });
        // Checks across hosts only make sense once every host entry is valid on its own.
        if (node.errors().equals(before)) {
            if (hosts.values().stream().noneMatch(h -> h.has(Role.DATA))) {
                node.error("expected at least one host with role data");
            }
        }
        return hosts;
    }

    /**
     * Either {@code role: data} or {@code roles: [etcd, data]}; {@code roles: []} is a spare host (an agent, no
     * role, ready to be given one). Empty after an error.
     */
    private static Optional<Set<Role>> readRoles(Node entry) {
        Node one = entry.field("role");
        Node many = entry.field("roles");
        if (one.isMissing() == many.isMissing()) {
            (one.isMissing() ? one : many).error(one.isMissing()
                    ? "is required: one of etcd, data, lb, backup (or roles: a list of them, [] for a spare host)"
                    : "give either role or roles, not both");
            return Optional.empty();
        }
        if (!one.isMissing()) {
            return readRole(one).map(r -> (Set<Role>) EnumSet.of(r));
        }
        Set<Role> roles = EnumSet.noneOf(Role.class);
        int errorsBefore = many.errors().size();
        List<Node> items = many.items();
        for (Node item : items) {
            Optional<Role> role = readRole(item);
            if (role.isPresent() && !roles.add(role.get())) {
                item.error("role " + role.get().id() + " listed twice");
            }
        }
        return many.errors().size() == errorsBefore ? Optional.of(roles) : Optional.empty();
    }

    private static Optional<Role> readRole(Node node) {
        String text = node.requiredText();
        Optional<Role> role = Role.of(text);
        if (!node.isMissing() && role.isEmpty()) {
            node.error("unknown role '" + Values.printable(text) + "' (expected one of etcd, data, lb, backup)");
        }
        return role;
    }

    /**
     * The etcd hosts are the membership: at least 3 (one may fail), unless the spec accepts a smaller cluster. How it
     * may differ from the membership of now is {@link EtcdMembershipChange}'s to say.
     */
    private static void checkEtcdCount(Node root, Map<String, ClusterSpec.Host> hosts, ClusterSpec.Etcd etcd) {
        if (!root.field("hosts").errors().isEmpty() && hosts.isEmpty()) {
            return;
        }
        long members = hosts.values().stream().filter(h -> h.has(Role.ETCD)).count();
        if (members == 0) {
            root.field("hosts").error("expected at least one host with role etcd");
        } else if (members < 3 && !etcd.allowSmallCluster()) {
            root.field("hosts").error(members + " hosts with role etcd tolerate no failure: give the role to at least"
                    + " 3, or set etcd.allow_small_cluster: true to accept it");
        }
    }

    /**
     * The backup section asks for exactly one repository host, and only it does: a repository on a data or etcd
     * host is lost with that host, so the role goes alone or beside lb.
     */
    private static void checkBackupHost(Node root, Map<String, ClusterSpec.Host> hosts, boolean backupSection) {
        if (!root.field("hosts").errors().isEmpty() && hosts.isEmpty()) {
            return;
        }
        List<ClusterSpec.Host> repositories = hosts.values().stream().filter(h -> h.has(Role.BACKUP)).toList();
        for (ClusterSpec.Host host : repositories) {
            Node roles = root.field("hosts").field(host.name());
            roles = roles.field(roles.field("roles").isMissing() ? "role" : "roles");
            if (host.has(Role.DATA) || host.has(Role.ETCD)) {
                roles.error("the backup repository would be lost with this " + Role.join(host.roles()) + " host:"
                        + " give the backup role to a host of its own (or beside lb)");
            } else if (!backupSection) {
                roles.error("role backup needs the spec's backup section (retention, schedule)");
            }
        }
        if (backupSection && repositories.isEmpty()) {
            root.field("backup").error("expected one host with role backup to keep the repository, found none");
        } else if (repositories.size() > 1) {
            root.field("hosts").error("expected one host with role backup, found " + repositories.size() + ": "
                    + String.join(", ", repositories.stream().map(ClusterSpec.Host::name).toList()));
        }
    }

    private static Optional<ClusterSpec.Backup> readBackup(Node node) {
        if (node.isMissing() || !node.expectMapping(Set.of("retention", "schedule", "from", "drill"))) {
            return Optional.empty();
        }
        Node retention = node.field("retention");
        retention.expectMapping(Set.of("full", "diff"));
        // pgBackRest keeps at most 9999999 of each; beyond a few hundred the repository is the problem.
        int full = (int) retention.field("full").integer(ClusterSpec.Backup.DEFAULT_RETENTION_FULL, 1, 9999);
        int diff = (int) retention.field("diff").integer(ClusterSpec.Backup.DEFAULT_RETENTION_DIFF, 1, 9999);
        Node schedule = node.field("schedule");
        schedule.expectMapping(Set.of("full", "diff", "incr"));
        Optional<Schedule> fullAt = requiredSchedule(schedule.field("full"), ClusterSpec.Backup.DEFAULT_FULL,
                "every backup chain starts with a full backup");
        // "" turns the differential backups off.
        Optional<Schedule> diffAt = schedule(schedule.field("diff"), ClusterSpec.Backup.DEFAULT_DIFF);
        Optional<Schedule> incrAt = schedule(schedule.field("incr"), "");
        Node from = node.field("from");
        String source = from.text().orElse("replica");
        if (!source.equals("replica") && !source.equals("leader")) {
            from.error("expected replica (copy the files from a replica) or leader, found '"
                    + Values.printable(source) + "'");
        }
        Optional<Schedule> drill = requiredSchedule(node.field("drill"), ClusterSpec.Backup.DEFAULT_DRILL,
                "a backup is only known to restore once a drill has restored it");
        if (fullAt.isEmpty() || drill.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new ClusterSpec.Backup(full, diff, fullAt.get(), diffAt, incrAt,
                source.equals("replica"), drill.get()));
    }

    private static Optional<Schedule> requiredSchedule(Node node, String fallback, String why) {
        if (!node.isMissing() && node.text().map(String::isBlank).orElse(false)) {
            node.error("expected a cron expression (" + why + "), found none");
            return Optional.empty();
        }
        return schedule(node, fallback);
    }

    /** A cron expression; {@code fallback} when the field is missing ("" for none). Empty after an error. */
    private static Optional<Schedule> schedule(Node node, String fallback) {
        String text = node.isMissing() ? fallback : node.requiredText();
        if (text.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Schedule.parse(text));
        } catch (Schedule.InvalidScheduleException e) {
            node.error(e.getMessage());
            return Optional.empty();
        }
    }

    private static ClusterSpec.Etcd readEtcd(Node node) {
        node.expectMapping(Set.of("quota_bytes", "heartbeat_interval_ms", "election_timeout_ms",
                "defrag_unused_percent", "defrag_min_unused_bytes", "allow_small_cluster"));
        ClusterSpec.Etcd d = ClusterSpec.Etcd.DEFAULT;
        // etcd takes any quota; below a few MiB its own keys fill it, above 8 GiB etcd warns of long restarts.
        long quota = node.field("quota_bytes").integer(d.quotaBytes(), 4L << 20, 8L << 30);
        int heartbeat = (int) node.field("heartbeat_interval_ms").integer(d.heartbeatMillis(), 10, 5000);
        int election = (int) node.field("election_timeout_ms").integer(d.electionMillis(), 50, 50000);
        if (election < 5L * heartbeat) {
            node.field("election_timeout_ms").error("etcd needs at least 5 heartbeats per election timeout, found "
                    + election + " ms < 5 * " + heartbeat + " ms");
        }
        int percent = (int) node.field("defrag_unused_percent").integer(d.defragUnusedPercent(), 1, 100);
        long minUnused = node.field("defrag_min_unused_bytes").integer(d.defragMinUnusedBytes(), 0, 8L << 30);
        boolean small = node.field("allow_small_cluster").bool(false);
        return new ClusterSpec.Etcd(quota, heartbeat, election, percent, minUnused, small);
    }

    private static ClusterSpec.Tags readTags(Node node) {
        if (!node.expectMapping(Set.of("nofailover", "noloadbalance", "clonefrom", "nosync"))) {
            return ClusterSpec.Tags.NONE;
        }
        ClusterSpec.Tags tags = new ClusterSpec.Tags(node.field("nofailover").bool(false),
                node.field("noloadbalance").bool(false), node.field("clonefrom").bool(false),
                node.field("nosync").bool(false));
        return tags.equals(ClusterSpec.Tags.NONE) ? ClusterSpec.Tags.NONE : tags;
    }

    private static ClusterSpec.Postgres readPostgres(Node node) {
        node.expectMapping(Set.of("version", "parameters", "hba", "data_checksums"));
        Node versionNode = node.field("version");
        int version = (int) versionNode.integer(15, 0, Integer.MAX_VALUE);
        if (!POSTGRES_VERSIONS.contains(version)) {
            versionNode.error("unsupported PostgreSQL major version " + version + " (expected one of "
                    + new java.util.TreeSet<>(POSTGRES_VERSIONS) + ")");
        }
        boolean dataChecksums = node.field("data_checksums").bool(true);
        Optional<PostgresParameters> known = PostgresParameters.forMajor(version);
        Map<String, String> parameters = new LinkedHashMap<>();
        node.field("parameters").entries().forEach((name, value) -> {
            String problem = Values.checkParameterName(name);
            if (problem != null) {
                value.error(problem);
                return;
            }
            if (MANAGED_PARAMETERS.contains(name)) {
                value.error("is managed by pgha-agent and Patroni and cannot be set in the spec");
                return;
            }
            value.text().ifPresent(text -> {
                String unsafe = Values.checkSafeText(text, 1024);
                AgentConfig.check(value, unsafe);
                if (unsafe == null) {
                    known.flatMap(k -> k.problem(name, text)).ifPresent(value::error);
                }
                parameters.put(name, text);
            });
        });
        List<ClusterSpec.HbaRule> hba = new ArrayList<>();
        for (Node rule : node.field("hba").items()) {
            readHbaRule(rule).ifPresent(hba::add);
        }
        return new ClusterSpec.Postgres(version, parameters, hba, dataChecksums);
    }

    private static Optional<ClusterSpec.HbaRule> readHbaRule(Node node) {
        if (!node.expectMapping(Set.of("type", "database", "user", "address", "method"))) {
            if (node.isMissing()) {
                node.error("is empty: expected a rule with type, database, user, address and method");
            }
            return Optional.empty();
        }
        String type = node.field("type").text().orElse("host");
        if (!HBA_TYPES.contains(type)) {
            node.field("type").error("expected one of " + HBA_TYPES + ", found '" + Values.printable(type) + "'");
        }
        String database = node.field("database").text().orElse("all");
        AgentConfig.check(node.field("database"), Values.checkHbaToken(database));
        String user = node.field("user").text().orElse("all");
        AgentConfig.check(node.field("user"), Values.checkHbaToken(user));
        String address = "";
        if (type.equals("local")) {
            if (!node.field("address").isMissing()) {
                node.field("address").error("a local rule has no address");
            }
        } else {
            Node addressNode = node.field("address");
            address = addressNode.requiredText();
            if (!addressNode.isMissing()) {
                AgentConfig.check(addressNode, Values.checkCidr(address));
            }
        }
        String method = node.field("method").text().orElse("scram-sha-256");
        Node methodNode = node.field("method");
        if (!HBA_METHODS.contains(method)) {
            methodNode.error("expected one of " + HBA_METHODS + ", found '" + Values.printable(method) + "'");
        } else if (method.equals("trust") && !type.equals("local") && !address.startsWith("127.")) {
            methodNode.error("'trust' lets anyone from " + address + " in without a password: allowed only on local"
                    + " rules or 127.0.0.0/8 (use scram-sha-256)");
        } else if (method.equals("cert") && !type.equals("hostssl")) {
            methodNode.error("'cert' needs TLS: PostgreSQL refuses it on a '" + type + "' rule (use type hostssl)");
        } else if (method.equals("peer") && !type.equals("local")) {
            methodNode.error("'peer' works only on local rules: PostgreSQL refuses it on a '" + type + "' rule");
        }
        return Optional.of(new ClusterSpec.HbaRule(type, database, user, address, method));
    }

    private static ClusterSpec.Patroni readPatroni(Node node) {
        node.expectMapping(Set.of("ttl", "loop_wait", "retry_timeout", "maximum_lag_on_failover", "synchronous_mode",
                "synchronous_mode_strict", "synchronous_node_count", "failsafe_mode", "replica_repair_after",
                "fast_failover", "fast_failover_after"));
        ClusterSpec.Patroni g = ClusterSpec.Patroni.GUIDE;
        int ttl = (int) node.field("ttl").integer(g.ttl(), 5, 3600);
        int loopWait = (int) node.field("loop_wait").integer(g.loopWait(), 1, 3600);
        int retry = (int) node.field("retry_timeout").integer(g.retryTimeout(), 1, 3600);
        long lag = node.field("maximum_lag_on_failover").integer(g.maximumLagOnFailover(), 0, Long.MAX_VALUE);
        Node syncNode = node.field("synchronous_mode");
        boolean quorum = syncNode.isText("quorum");
        boolean sync = quorum || syncNode.bool(false, "true, false or quorum");
        Node countNode = node.field("synchronous_node_count");
        int syncCount = (int) countNode.integer(1, 1, 8);
        if (!countNode.isMissing() && !sync) {
            countNode.error("applies only with synchronous_mode true or quorum");
        }
        Node strictNode = node.field("synchronous_mode_strict");
        boolean strict = strictNode.bool(false);
        if (strict && !sync) {
            strictNode.error("applies only with synchronous_mode true or quorum");
        }
        boolean failsafe = node.field("failsafe_mode").bool(g.failsafeMode());
        int repairAfter = (int) node.field("replica_repair_after").integer(g.replicaRepairAfterSeconds(), 0, 86400);
        if (loopWait + 2L * retry > ttl) {
            node.field("ttl").error("Patroni needs loop_wait + 2*retry_timeout <= ttl, found " + loopWait + " + 2*"
                    + retry + " = " + (loopWait + 2 * retry) + " > " + ttl);
        }
        Node fastNode = node.field("fast_failover");
        boolean fast = fastNode.bool(false);
        if (fast && !sync) {
            fastNode.error("applies only with synchronous_mode true or quorum: an early promotion in asynchronous"
                    + " mode loses the writes the new leader had not received yet");
        }
        Node afterNode = node.field("fast_failover_after");
        int fastAfter = (int) afterNode.integer(ClusterSpec.Patroni.FAST_FAILOVER_AFTER_SECONDS, 1, 3600);
        if (!afterNode.isMissing() && !fast) {
            afterNode.error("applies only with fast_failover: true");
        } else if (fast && fastAfter >= ttl) {
            afterNode.error("expected less than ttl (" + ttl + " s), found " + fastAfter
                    + ": the leader key expires by then anyway");
        }
        return new ClusterSpec.Patroni(ttl, loopWait, retry, lag, sync, quorum, strict, syncCount, failsafe,
                repairAfter, fast ? fastAfter : 0);
    }

    /** HAProxy binds its ports on the lb host's address, where the agent, and any other role there, listen too. */
    private void checkLbPorts(Node node, Collection<ClusterSpec.Host> hosts, ClusterSpec.Haproxy haproxy) {
        for (ClusterSpec.Host host : hosts) {
            if (!host.has(Role.LB)) {
                continue;
            }
            Map<Integer, String> taken = new LinkedHashMap<>();
            taken.put(agent.map(AgentConfig::apiPort).orElse(AgentConfig.DEFAULT_API_PORT),
                    "the agent's HTTP endpoint (agent.yml api.listen)");
            if (host.has(Role.DATA)) {
                taken.put(ClusterSpec.POSTGRES_PORT, "PostgreSQL on data host " + host.name());
                taken.put(ClusterSpec.PATRONI_PORT, "Patroni's REST API on data host " + host.name());
            }
            if (host.has(Role.ETCD)) {
                taken.put(agent.map(AgentConfig::clientPort).orElse(AgentConfig.DEFAULT_CLIENT_PORT),
                        "etcd's client port on " + host.name());
                taken.put(agent.map(AgentConfig::peerPort).orElse(AgentConfig.DEFAULT_PEER_PORT),
                        "etcd's peer port on " + host.name());
            }
            List<String> fields = List.of("primary_port", "replica_port", "stats_port");
            for (int i = 0; i < fields.size(); i++) {
                String user = taken.get(haproxy.ports().get(i));
                if (user != null) {
                    node.field(fields.get(i)).error("port " + haproxy.ports().get(i) + " on lb host " + host.name()
                            + " is already used by " + user);
                }
            }
        }
    }

    /**
     * The floating address: in every lb host's network (keepalived moves it between them, and a host outside could
     * not answer for it), no host's own address, and only with an lb host to hold it.
     */
    private static Optional<ClusterSpec.Vip> readVip(Node node, String cluster, Collection<ClusterSpec.Host> hosts) {
        if (node.isMissing() || !node.expectMapping(Set.of("vip", "interface", "router_id"))) {
            return Optional.empty();
        }
        Optional<String> device = node.field("interface").text();
        device.map(Values::checkInterfaceName).ifPresent(node.field("interface")::error);
        int routerId = (int) node.field("router_id").integer(defaultRouterId(cluster), 1, 255);
        Node vipNode = node.field("vip");
        String text = vipNode.requiredText();
        if (vipNode.isMissing()) {
            return Optional.empty();
        }
        int slash = text.indexOf('/');
        String address = slash < 0 ? text : text.substring(0, slash);
        String bits = slash < 0 ? "" : text.substring(slash + 1);
        if (Values.checkIpv4(address) != null || !bits.matches("\\d{1,2}") || Integer.parseInt(bits) > 32) {
            vipNode.error("expected an IPv4 address with its network's prefix length, such as 10.0.2.100/24, found '"
                    + Values.printable(text) + "'");
            return Optional.empty();
        }
        int prefix = Integer.parseInt(bits);
        List<ClusterSpec.Host> lbHosts = hosts.stream().filter(h -> h.has(Role.LB)).toList();
        if (lbHosts.isEmpty()) {
            vipNode.error("no host has role lb: a floating address needs lb hosts to hold it");
        }
        for (ClusterSpec.Host host : hosts) {
            if (host.address().equals(address)) {
                vipNode.error(address + " is the address of host '" + host.name() + "': the floating address must be"
                        + " one that no host has");
            }
        }
        for (ClusterSpec.Host host : lbHosts) {
            if (Values.checkIpv4(host.address()) == null && !Values.sameNetwork(host.address(), address, prefix)) {
                vipNode.error(text + " is outside the network of lb host '" + host.name() + "' (" + host.address()
                        + " is not in the same /" + prefix + "): that host could not answer for it");
            }
        }
        return Optional.of(new ClusterSpec.Vip(address, prefix, device, routerId));
    }

    /**
     * The pooler: on the lb hosts (so there must be one), on a port of its own there, in a pool mode that keeps
     * transactions whole, for databases whose names are safe in pgbouncer.ini.
     */
    private Optional<ClusterSpec.Pooler> readPooler(Node node, Collection<ClusterSpec.Host> hosts,
                                                    ClusterSpec.Haproxy haproxy) {
        if (node.isMissing() || !node.expectMapping(Set.of("port", "pool_mode", "default_pool_size",
                "max_client_conn", "databases"))) {
            return Optional.empty();
        }
        int port = (int) node.field("port").integer(ClusterSpec.Pooler.DEFAULT_PORT, 1, 65535);
        if (haproxy.ports().contains(port)) {
            node.field("port").error("port " + port + " is HAProxy's (haproxy.primary_port, replica_port or"
                    + " stats_port) on the lb hosts");
        } else if (port == agent.map(AgentConfig::apiPort).orElse(AgentConfig.DEFAULT_API_PORT)) {
            node.field("port").error("port " + port + " is the agent's HTTP endpoint (agent.yml api.listen)");
        }
        Node modeNode = node.field("pool_mode");
        String mode = modeNode.text().orElse("transaction");
        if (mode.equals("statement")) {
            modeNode.error("statement pooling ends a server connection's use after each statement, which breaks"
                    + " every transaction of more than one; expected transaction or session");
        } else if (!ClusterSpec.Pooler.POOL_MODES.contains(mode)) {
            modeNode.error("expected transaction or session, found '" + Values.printable(mode) + "'");
        }
        int poolSize = (int) node.field("default_pool_size").integer(20, 1, 10_000);
        int maxClients = (int) node.field("max_client_conn").integer(1000, 1, 100_000);
        List<String> databases = new ArrayList<>();
        for (Node item : node.field("databases").items()) {
            String name = item.requiredText();
            String problem = Values.checkDatabaseName(name);
            if (problem != null) {
                item.error(problem);
            } else if (name.equals("pgbouncer")) {
                item.error("'pgbouncer' is the pooler's admin console, not a database it may pass on");
            } else if (databases.contains(name)) {
                item.error("database '" + name + "' listed twice");
            } else {
                databases.add(name);
            }
        }
        if (hosts.stream().noneMatch(h -> h.has(Role.LB))) {
            node.error("no host has role lb: the pooler runs on the lb hosts, in front of HAProxy");
        }
        for (ClusterSpec.Host host : hosts) {
            if (host.has(Role.LB) && host.has(Role.DATA) && port == ClusterSpec.POSTGRES_PORT) {
                node.field("port").error("port " + port + " is PostgreSQL's on host " + host.name()
                        + ", which is an lb and a data host");
            }
        }
        return Optional.of(new ClusterSpec.Pooler(port, mode, poolSize, maxClients, databases));
    }

    /**
     * A VRRP router id from the cluster name, so that two clusters on one network differ unless the names collide
     * (lb.router_id then sets one).
     */
    static int defaultRouterId(String cluster) {
        return Math.floorMod(cluster.hashCode(), 255) + 1;
    }

    private static ClusterSpec.Disk readDisk(Node node) {
        node.expectMapping(Set.of("fsync_p99_limit_ms", "on_slow_fsync"));
        ClusterSpec.Disk d = ClusterSpec.Disk.DEFAULT;
        double limit = node.field("fsync_p99_limit_ms").decimal(d.fsyncP99LimitMillis(), 0.01, 10_000);
        Node onSlow = node.field("on_slow_fsync");
        String action = onSlow.text().orElse("warn");
        if (!action.equals("warn") && !action.equals("refuse")) {
            onSlow.error("expected warn or refuse, found '" + Values.printable(action) + "'");
        }
        return new ClusterSpec.Disk(limit, action.equals("refuse"));
    }

    private static ClusterSpec.Haproxy readHaproxy(Node node) {
        node.expectMapping(Set.of("primary_port", "replica_port", "stats_port"));
        ClusterSpec.Haproxy d = ClusterSpec.Haproxy.DEFAULT;
        int primary = (int) node.field("primary_port").integer(d.primaryPort(), 1, 65535);
        int replica = (int) node.field("replica_port").integer(d.replicaPort(), 1, 65535);
        int stats = (int) node.field("stats_port").integer(d.statsPort(), 1, 65535);
        if (primary == replica) {
            node.field("replica_port").error("must differ from primary_port (" + primary + ")");
        }
        if (stats == primary || stats == replica) {
            node.field("stats_port").error("must differ from primary_port and replica_port");
        }
        return new ClusterSpec.Haproxy(primary, replica, stats);
    }
}
