package io.pgha.postgres;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.pgha.model.AgentConfig;
import io.pgha.model.ClusterRestore;
import io.pgha.model.DataPhase;
import io.pgha.model.PostgresUpgrade;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.ClusterSpec;
import io.pgha.model.Role;
import io.pgha.net.Ipv4Networks;
import io.pgha.resources.FileResource;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * patroni.yml for one data host, built as a tree and written by Jackson: no value can break the file, whatever
 * characters a password holds.
 */
public final class PatroniConfig {
    public static final String SUPERUSER = "postgres";
    public static final String REPLICATION_USER = "replicator";
    public static final String REWIND_USER = "rewind_user";
    /** The agents' health probes log in as this role: pg_monitor's reading rights, nothing more. */
    public static final String MONITOR_USER = "pgha_monitor";
    /** Patroni's REST API user for the unsafe endpoints (switchover, restart, reinitialize, config). */
    public static final String REST_USER = "patroni";
    /** Patroni's own etcd user: its keys, /service/<cluster>/, and nothing else. */
    /** The guide's wal_keep_segments: 20, in the unit PostgreSQL 13+ takes (20 segments of 16 MB). */
    static final String WAL_KEEP_SIZE = "320MB";

    private static final ObjectMapper YAML = new ObjectMapper(
            YAMLFactory.builder().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).build());

    /**
     * Where this host keeps Postgres: data directory, socket directory, pgpass, server binaries.
     *
     * @param pgBackRestConfig this host's pgbackrest.conf, which its archive_command and restores name
     */
    public record Layout(Path dataDir, Path socketDir, Path pgpass, String binDir, Path pgBackRestConfig) {
    }

    /** The cluster CA and this host's certificate and key, as files the postgres user can read. */
    public record Tls(Path ca, Path certificate, Path key) {
    }

    /** The name of the custom bootstrap of a cluster restore, in patroni.yml's bootstrap section. */
    static final String RESTORE_METHOD = "pgbackrest_restore";

    /** Where Debian and PGDG install pgBackRest. */
    public static final String PGBACKREST = "/usr/bin/pgbackrest";

    private PatroniConfig() {
    }

    /**
     * The DCS (dynamic) settings: written once at bootstrap, afterwards kept equal through PATCH /config by the
     * leader's agent. The guide's values are the spec's defaults.
     */
    public static ObjectNode dynamic(ClusterSpec spec) {
        return dynamic(spec, parameters(spec));
    }

    private static ObjectNode dynamic(ClusterSpec spec, java.util.Map<String, String> postgresParameters) {
        ClusterSpec.Patroni p = spec.patroni();
        ObjectNode dcs = YAML.createObjectNode()
                .put("ttl", p.ttl())
                .put("loop_wait", p.loopWait())
                .put("retry_timeout", p.retryTimeout())
                .put("maximum_lag_on_failover", p.maximumLagOnFailover())
                .put("failsafe_mode", p.failsafeMode());
        if (p.quorum()) {
            dcs.put("synchronous_mode", "quorum");
        } else {
            dcs.put("synchronous_mode", p.synchronousMode());
        }
        // Written in the synchronous modes, where it means something, both ways: turning it off must reach Patroni too.
        if (p.synchronousMode()) {
            dcs.put("synchronous_mode_strict", p.strict());
        }
        // Written only where it says something: quorum mode, or more than Patroni's default of one standby.
        if (p.quorum() || p.synchronousNodeCount() != 1) {
            dcs.put("synchronous_node_count", p.synchronousNodeCount());
        }
        ObjectNode pg = dcs.putObject("postgresql").put("use_pg_rewind", true).put("use_slots", true);
        ObjectNode parameters = pg.putObject("parameters");
        postgresParameters.forEach(parameters::put);
        dcs.putObject("slots").putObject("patroni_standby_leader").put("type", "physical");
        return dcs;
    }

    private static String pgBackRest(ClusterSpec spec, Layout layout) {
        return PGBACKREST + " --config=" + layout.pgBackRestConfig() + " --stanza=" + spec.cluster();
    }

    private static String archiveGet(ClusterSpec spec, Layout layout) {
        return pgBackRest(spec, layout) + " archive-get %f \"%p\"";
    }

    /** The Postgres parameters Patroni is to run every member with: ours, then the spec's, which win. */
    public static java.util.Map<String, String> parameters(ClusterSpec spec) {
        java.util.Map<String, String> parameters = new java.util.LinkedHashMap<>();
        parameters.put("hot_standby", "on");
        parameters.put("max_wal_senders", "8");
        parameters.put("max_replication_slots", "8");
        parameters.put("wal_keep_size", WAL_KEEP_SIZE);
        if (spec.patroni().fastFailover()) {
            // A replica whose leader died retries streaming every 5 s by default; after an early failover the new
            // leader waits for it (a synchronous standby) before its first commit. The spec may set another value.
            parameters.put("wal_retrieve_retry_interval", "1000");
        }
        if (spec.backup().isPresent()) {
            // Commits reach the repository within a minute even when little is written (a segment is archived only
            // once full or switched); the spec may set another value.
            parameters.put("archive_timeout", "60");
        }
        parameters.putAll(spec.postgres().parameters());
        if (spec.backup().isPresent()) {
            // The spec parser refuses these two in the spec's parameters while it has a backup section;
            // archive_command names this host's pgbackrest.conf, so it is set per host in patroni.yml.
            parameters.put("archive_mode", "on");
        }
        return parameters;
    }

    /** What patroni.yml is made from. */
    public record Input(AgentConfig agent, ClusterSpec spec, ClusterSpec.Host host, ClusterSecrets secrets,
                        Layout layout, Tls tls, Optional<DataPhase> operation, Set<String> refusedAddresses) {
        public Input {
            refusedAddresses = Set.copyOf(refusedAddresses);
        }

        /** With no host revoked. */
        public Input(AgentConfig agent, ClusterSpec spec, ClusterSpec.Host host, ClusterSecrets secrets,
                     Layout layout, Tls tls, Optional<DataPhase> operation) {
            this(agent, spec, host, secrets, layout, tls, operation, Set.of());
        }
    }

    /**
     * patroni.yml as built once for a pass, and what comes of it.
     *
     * @param text         the file
     * @param reloadDigest a fingerprint of what a running Patroni takes from the file: all but the bootstrap section,
     *                     which only a new cluster reads. A changed parameter changes that section, and a SIGHUP for
     *                     it would cost Patroni's loop a second (it sleeps after every reload of Postgres) just before
     *                     the PATCH /config that carries the parameter.
     * @param dynamic      the DCS (dynamic) settings, as in the file's bootstrap section and as PATCH /config keeps them
     * @param parameters   the Postgres parameters every member is to run with
     */
    public record Document(String text, String reloadDigest, ObjectNode dynamic,
                           java.util.Map<String, String> parameters) {
    }

    /** Builds patroni.yml's tree once, and everything the pass takes from it. */
    public static Document document(Input in) {
        java.util.Map<String, String> parameters = parameters(in.spec());
        ObjectNode dynamic = dynamic(in.spec(), parameters);
        ObjectNode tree = tree(in, dynamic.deepCopy());
        String text = yaml(tree);
        tree.remove("bootstrap");
        String digest = FileResource.digest(yaml(tree).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return new Document(text, digest, dynamic, java.util.Collections.unmodifiableMap(parameters));
    }

    private static ObjectNode tree(Input in, ObjectNode dynamic) {
        AgentConfig agent = in.agent();
        ClusterSpec spec = in.spec();
        ClusterSpec.Host host = in.host();
        ClusterSecrets secrets = in.secrets();
        Layout layout = in.layout();
        Tls tls = in.tls();
        Optional<ClusterRestore> restore = in.operation().filter(ClusterRestore.class::isInstance)
                .map(ClusterRestore.class::cast);
        Optional<PostgresUpgrade> upgrade = in.operation().filter(PostgresUpgrade.class::isInstance)
                .map(PostgresUpgrade.class::cast);
        String address = host.address();
        ObjectNode root = YAML.createObjectNode()
                .put("scope", spec.cluster())
                .put("name", host.name());
        // https with the host certificate; a peer without a certificate of the cluster CA gets no answer at all
        // (HAProxy's checks present the lb host's), and the unsafe endpoints also want the password.
        ObjectNode restapi = root.putObject("restapi")
                .put("listen", address + ":" + ClusterSpec.PATRONI_PORT)
                .put("connect_address", address + ":" + ClusterSpec.PATRONI_PORT)
                .put("certfile", tls.certificate().toString())
                .put("keyfile", tls.key().toString())
                .put("cafile", tls.ca().toString())
                .put("verify_client", "required");
        restapi.putObject("authentication").put("username", REST_USER).put("password", secret(secrets, "patroni_rest"));
        if (!in.refusedAddresses().isEmpty()) {
            // Patroni has no list of addresses to refuse, only one to allow (for the unsafe endpoints): everything
            // but the revoked hosts' addresses, as networks. Its read-only endpoints check no address.
            ArrayNode allow = restapi.putArray("allowlist");
            Ipv4Networks.allBut(in.refusedAddresses()).forEach(allow::add);
        }
        // patronictl on this host (lab exec pg1 -- patronictl list) must show a certificate too: Patroni 3.1 and later
        // take it from ctl only (3.0 also fell back to restapi's), so it is said here for every version.
        root.putObject("ctl")
                .put("certfile", tls.certificate().toString())
                .put("keyfile", tls.key().toString())
                .put("cacert", tls.ca().toString());
        ObjectNode etcd3 = root.putObject("etcd3")
                .put("protocol", "https")
                .put("cacert", tls.ca().toString())
                .put("cert", tls.certificate().toString())
                .put("key", tls.key().toString())
                .put("username", secrets.patroniEtcdUser())
                .put("password", secret(secrets, "patroni_etcd"));
        ArrayNode etcdHosts = etcd3.putArray("hosts");
        // The spec's etcd hosts are the membership; Patroni also learns the members from etcd itself.
        spec.etcdMembers().values().forEach(a -> etcdHosts.add(a + ":" + agent.clientPort()));

        ObjectNode bootstrap = root.putObject("bootstrap");
        bootstrap.set("dcs", dynamic);
        ArrayNode initdb = bootstrap.putArray("initdb").add(YAML.createObjectNode().put("encoding", "UTF8"));
        if (spec.postgres().dataChecksums()) {
            initdb.add("data-checksums");
        } else if (spec.postgres().version() >= 18) {
            // PostgreSQL 18's initdb turns them on by itself.
            initdb.add("no-data-checksums");
        }
        Optional<ClusterRestore> restoring = restore.filter(r -> r.active() && spec.backup().isPresent());
        restoring.ifPresent(r -> {
            // The member that takes Patroni's initialize key restores the set and recovers to the target, where it
            // promotes. The recovery settings are Patroni's to write and to remove once it has promoted (pgBackRest's
            // copies in postgresql.auto.conf go): left behind, they would wait as a pending restart. Patroni splits
            // the command line itself (no shell); ClusterRestore admits only its exact forms of time and label.
            bootstrap.put("method", RESTORE_METHOD);
            ObjectNode method = bootstrap.putObject(RESTORE_METHOD).put("command",
                    commandLine(pgBackRest(spec, layout), r.set(), r.targetOptions()) + " restore")
                    .put("no_params", true);
            ObjectNode recovery = method.putObject("recovery_conf").put("restore_command", archiveGet(spec, layout));
            if (!r.time().isEmpty()) {
                recovery.put("recovery_target_time", ClusterRestore.PG_TIME.format(java.time.Instant.parse(r.time())))
                        .put("recovery_target_action", "promote");
            }
        });

        ObjectNode pg = root.putObject("postgresql")
                .put("listen", address + ":" + ClusterSpec.POSTGRES_PORT)
                .put("connect_address", address + ":" + ClusterSpec.POSTGRES_PORT)
                .put("data_dir", layout.dataDir().toString())
                .put("bin_dir", layout.binDir())
                .put("pgpass", layout.pgpass().toString())
                .put("use_unix_socket", true)
                // A replica that cannot follow the new leader (its timeline diverged, pg_rewind failed) is cloned
                // again by Patroni itself; the agent's replica repair is the fallback when even that does not happen.
                .put("remove_data_directory_on_rewind_failure", true)
                .put("remove_data_directory_on_diverged_timelines", true);
        ObjectNode auth = pg.putObject("authentication");
        auth.putObject("superuser").put("username", SUPERUSER).put("password", secret(secrets, "superuser"));
        // Replication and rewind cross the network: TLS, and the leader must show a certificate of the cluster CA.
        auth.putObject("replication").put("username", REPLICATION_USER).put("password", secret(secrets, "replication"))
                .put("sslmode", "verify-ca").put("sslrootcert", tls.ca().toString());
        auth.putObject("rewind").put("username", REWIND_USER).put("password", secret(secrets, "rewind"))
                .put("sslmode", "verify-ca").put("sslrootcert", tls.ca().toString());
        pg.putObject("parameters").put("unix_socket_directories", layout.socketDir().toString())
                .put("ssl", "on")
                .put("ssl_cert_file", tls.certificate().toString())
                .put("ssl_key_file", tls.key().toString())
                .put("ssl_ca_file", tls.ca().toString())
                .put("ssl_min_protocol_version", "TLSv1.3");
        if (spec.backup().isPresent()) {
            // Per host (a lab host's files live under a root of its own): Patroni's local parameters win over the
            // shared ones.
            ((ObjectNode) pg.path("parameters")).put("archive_command", pgBackRest(spec, layout) + " archive-push %p");
            // A new or reinitialised replica is restored from the repository (its delta only, over the data it
            // has), not copied from the leader; a repository with no backup yet falls through to pg_basebackup.
            // Not while replicas rejoin a major upgrade: the repository's backups are of the old major until the
            // full backup that follows it.
            if (upgrade.filter(u -> u.phase().equals(PostgresUpgrade.REJOIN)).isPresent()) {
                pg.putArray("create_replica_methods").add("basebackup");
            } else {
                pg.putArray("create_replica_methods").add("pgbackrest").add("basebackup");
            }
            // While the cluster is being restored, from the set the leader restored: the newest backup may be one of
            // the old timeline taken after the target, which the restored cluster's timeline does not descend from.
            String set = restoring.map(r -> " --set=" + r.set()).orElse("");
            pg.putObject("pgbackrest").put("command", pgBackRest(spec, layout) + set + " --delta restore")
                    .put("keep_data", true).put("no_params", true);
            // A replica takes from the repository the WAL the leader no longer has: one built from a backup after a
            // cluster restore (the new leader's pg_wal starts at the promotion), or one that fell far behind.
            pg.putObject("recovery_conf").put("restore_command", archiveGet(spec, layout));
        }
        ArrayNode hba = pg.putArray("pg_hba");
        hbaLines(spec, in.refusedAddresses()).forEach(hba::add);
        java.util.List<String> ident = PoolerAuth.identLines(spec);
        if (!ident.isEmpty()) {
            ArrayNode identArray = pg.putArray("pg_ident");
            ident.forEach(identArray::add);
        }

        // While the leader stops for a major upgrade no replica may take its place: Patroni reloads the tag.
        root.putObject("tags")
                .put("nofailover", host.tags().nofailover() || upgrade.filter(PostgresUpgrade::fenced).isPresent())
                .put("noloadbalance", host.tags().noloadbalance())
                .put("clonefrom", host.tags().clonefrom())
                .put("nosync", host.tags().nosync());
        return root;
    }

    /**
     * The whole pg_hba.conf (Patroni would otherwise append to initdb's trust lines): Patroni itself over the
     * socket, replication, rewind and the agents' monitoring between data hosts only and over TLS, the pooler's auth
     * user from the lb hosts by certificate, then the spec's client rules. Nothing else.
     */
    static java.util.List<String> hbaLines(ClusterSpec spec) {
        return hbaLines(spec, Set.of());
    }

    /** As {@link #hbaLines(ClusterSpec)}, with the revoked hosts' addresses refused first, whoever they claim to be. */
    static java.util.List<String> hbaLines(ClusterSpec spec, Set<String> refusedAddresses) {
        java.util.List<String> lines = new java.util.ArrayList<>();
        lines.add("local all " + SUPERUSER + " peer");
        for (String address : new java.util.TreeSet<>(refusedAddresses)) {
            lines.add("host all all " + address + "/32 reject");
            lines.add("host replication all " + address + "/32 reject");
        }
        for (ClusterSpec.Host data : spec.hostsWith(Role.DATA)) {
            String cidr = data.address() + "/32";
            lines.add("hostssl replication " + REPLICATION_USER + " " + cidr + " scram-sha-256");
            lines.add("hostssl all " + REWIND_USER + " " + cidr + " scram-sha-256");
            lines.add("hostssl all " + SUPERUSER + " " + cidr + " scram-sha-256");
            lines.add("hostssl postgres " + MONITOR_USER + " " + cidr + " scram-sha-256");
        }
        lines.addAll(PoolerAuth.hbaLines(spec));
        spec.postgres().hba().forEach(rule -> lines.add(rule.line()));
        return lines;
    }

    public static String render(AgentConfig agent, ClusterSpec spec, ClusterSpec.Host host, ClusterSecrets secrets,
                                Layout layout, Tls tls, Optional<DataPhase> operation) {
        return document(new Input(agent, spec, host, secrets, layout, tls, operation)).text();
    }

    /** pgBackRest's restore of {@code set} with the target's options, as one command line for Patroni to split. */
    private static String commandLine(String pgBackRest, String set, java.util.List<String> target) {
        StringBuilder line = new StringBuilder(pgBackRest).append(" --set=").append(set);
        // A time target holds a space: quoted for Patroni's shlex.split, which takes single quotes as a shell does.
        target.forEach(option -> line.append(' ').append(option.contains(" ") ? "'" + option + "'" : option));
        return line.toString();
    }

    /** {@link Document#reloadDigest()} alone. */
    public static String reloadDigest(AgentConfig agent, ClusterSpec spec, ClusterSpec.Host host,
                                      ClusterSecrets secrets, Layout layout, Tls tls,
                                      Optional<DataPhase> operation) {
        return document(new Input(agent, spec, host, secrets, layout, tls, operation)).reloadDigest();
    }

    private static String yaml(ObjectNode tree) {
        try {
            return YAML.writeValueAsString(tree);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of strings always serialises", e);
        }
    }

    private static String secret(ClusterSecrets secrets, String name) {
        return secrets.get(name).orElseThrow(() -> new IllegalStateException("the cluster secrets lack '" + name + "'"));
    }
}
