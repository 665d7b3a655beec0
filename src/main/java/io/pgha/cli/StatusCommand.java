package io.pgha.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.EtcdDcs;
import io.pgha.dcs.HostStatuses;
import io.pgha.dcs.Versioned;
import io.pgha.model.AgentConfig;
import io.pgha.model.BackupReport;
import io.pgha.model.ClusterSpec;
import io.pgha.model.ClusterSpecParser;
import io.pgha.model.EarlyFailover;
import io.pgha.model.EtcdAlarm;
import io.pgha.model.EtcdMember;
import io.pgha.model.EtcdReport;
import io.pgha.model.FailoverQuorum;
import io.pgha.model.Health;
import io.pgha.model.HostRequest;
import io.pgha.model.HostStatus;
import io.pgha.model.InvalidSpecException;
import io.pgha.model.LeaderVerdict;
import io.pgha.model.Maintenance;
import io.pgha.model.Pending;
import io.pgha.model.Role;
import io.pgha.runtime.Installation;
import io.pgha.tls.Pem;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = "One row per host: role, spec revision and whether it is in effect (applied, pending, failed),"
                + " health, errors, what is pending, warnings.")
final class StatusCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Rows fit a terminal this wide; --wide shows every column in full. */
    private static final int WIDTH = 120;
    static final Duration ADMIN_WARNING = Duration.ofDays(30);

    @CommandLine.ParentCommand
    CtlMain ctl;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--json", description = "every host's full status as a JSON array")
    boolean json;

    @Option(names = "--wide", description = "more columns (address, pids, timeline, Patroni's version and the timers"
            + " it runs, disk, the secrets generation in use), untruncated")
    boolean wide;

    /** A host's stored status, or why it could not be read. */
    private record Stored(Optional<HostStatus> status, String unreadable) {
    }

    @Override
    public Integer call() throws CtlMain.BadInputException, DcsException, IOException {
        AgentConfig agent = ctl.agentConfig();
        Map<String, Stored> statuses = new LinkedHashMap<>();
        Optional<Versioned<String>> stored;
        List<EtcdAlarm> alarms;
        List<EtcdMember> members;
        Map<String, LeaderVerdict> verdicts;
        Optional<EarlyFailover> earlyFailover;
        Optional<Versioned<String>> leaderKey;
        Map<String, String> patroniVersions;
        Optional<ClusterSpec> cluster;
        Optional<Maintenance> maintenance;
        try (EtcdDcs dcs = ctl.dcs(agent)) {
            stored = dcs.spec();
            maintenance = dcs.maintenance().map(Versioned::value);
            cluster = parsed(agent, stored);
            // The observers' keys only while the option is on; a recorded early failover is shown either way.
            boolean observed = cluster.map(c -> c.patroni().fastFailover()).orElse(false);
            verdicts = observed ? dcs.verdicts() : Map.of();
            leaderKey = observed ? dcs.leaderKey() : Optional.empty();
            earlyFailover = dcs.lastEarlyFailover();
            // Read live: while NOSPACE is raised no agent can write its status to say so.
            alarms = dcs.admin().alarms();
            members = dcs.admin().members();
            HostStatuses read = dcs.hostStatuses();
            patroniVersions = read.patroniVersions();
            read.readable().forEach((host, s) -> statuses.put(host, new Stored(Optional.of(s), "")));
            read.unreadable().forEach((host, why) -> statuses.put(host, new Stored(Optional.empty(), why)));
        }
        List<String> hosts = new ArrayList<>();
        cluster.ifPresent(c -> hosts.addAll(c.hosts().keySet()));
        if (cluster.isEmpty()) {
            agent.members().keySet().stream().filter(h -> !hosts.contains(h)).forEach(hosts::add);
        }
        statuses.keySet().stream().filter(h -> !hosts.contains(h)).forEach(hosts::add);

        PrintWriter out = CtlMain.out(spec);
        if (json) {
            ArrayNode array = JSON.createArrayNode();
            hosts.stream().map(statuses::get).filter(s -> s != null && s.status().isPresent())
                    .forEach(s -> array.add(JSON.valueToTree(s.status().get())));
            out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(array));
            return CtlMain.OK;
        }
        long revision = stored.map(Versioned::modRevision).orElse(0L);
        out.println("cluster " + agent.cluster() + ", spec revision " + (revision == 0 ? "none" : revision));
        Map<String, HostStatus> readable = new LinkedHashMap<>();
        statuses.forEach((h, s) -> s.status().ifPresent(x -> readable.put(h, x)));
        maintenanceLines(maintenance, readable).forEach(out::println);
        adminExpiry(agent, Instant.now()).ifPresent(out::println);
        for (EtcdAlarm alarm : alarms) {
            out.println("ERROR: etcd alarm " + alarm.type() + " on member " + members.stream()
                    .filter(m -> m.id() == alarm.memberId()).map(EtcdMember::name).findFirst()
                    .orElse(Long.toHexString(alarm.memberId())) + (alarm.noSpace() ? ": etcd refuses every write"
                    + " (its quota is reached); the raft leader's agent recovers it" : ""));
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(wide ? new String[] {"HOST", "ROLE", "ADDRESS", "REV", "SPEC", "CONVERGED", "PROCESSES", "HEALTH",
                "PG-ROLE", "STATE", "TL", "PATRONI", "LAG", "DEVICE", "BUSY", "FSYNC-P99", "FREE", "SECRETS", "AGE",
                "ERROR",
                "PENDING", "WARNINGS"}
                : new String[] {"HOST", "ROLE", "REV", "SPEC", "PROCESSES", "HEALTH", "PG-ROLE", "STATE", "LAG",
                        "FSYNC-P99", "AGE", "ERROR/PENDING", "WARNINGS"});
        long now = System.currentTimeMillis();
        for (String host : hosts) {
            Stored s = statuses.get(host);
            if (s == null || s.status().isEmpty()) {
                String role = cluster.flatMap(c -> c.host(host)).map(ClusterSpec.Host::rolesId).orElse("etcd");
                String address = cluster.flatMap(c -> c.host(host)).map(ClusterSpec.Host::address)
                        .orElse(agent.members().getOrDefault(host, "-"));
                String why = s == null ? "no status: agent down, not started, or waiting for its certificates"
                        : s.unreadable();
                rows.add(wide ? new String[] {host, role, address, "-", "-", "-", "-", "-", "", "", "", "", "", "", "",
                        "", "", "", "-", why, "", ""} : new String[] {host, role, "-", "-", "-", "-", "", "", "", "", "-", why, ""});
                continue;
            }
            rows.add(row(s.status().get(), now));
        }
        print(out, rows);
        List<HostStatus> known = statuses.values().stream().flatMap(x -> x.status().stream()).toList();
        cluster.flatMap(ClusterSpec::vip).ifPresent(vip -> out.println(vipLine(vip, known)));
        fastFailoverLines(cluster, leaderKey.map(Versioned::value), verdicts, patroniVersions, earlyFailover, now)
                .forEach(out::println);
        out.println();
        print(out, etcdRows(members, known));
        List<String[]> backups = backupRows(known, now);
        if (backups.size() > 1) {
            out.println();
            print(out, backups);
        }
        return CtlMain.OK;
    }

    /** A warning once pghactl's own certificate has less than {@link #ADMIN_WARNING} left. */
    static Optional<String> adminExpiry(AgentConfig agent, Instant now) {
        try {
            Instant notAfter = Pem.readCertificate(Files.readString(agent.adminCertificate()),
                    agent.adminCertificate().toString()).getNotAfter().toInstant();
            return notAfter.isBefore(now.plus(ADMIN_WARNING)) ? Optional.of("WARNING: " + agent.adminCertificate()
                    + " expires " + notAfter + " (" + Duration.between(now, notAfter).toDays() + " days): "
                    + Installation.ctl() + " admin renew, beside pghactl init's files") : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The stored spec as the agents read it; empty (with a warning) when there is none or it is invalid. */
    private Optional<ClusterSpec> parsed(AgentConfig agent, Optional<Versioned<String>> stored) {
        if (stored.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new ClusterSpecParser(agent).parse(stored.get().value(), "stored spec"));
        } catch (InvalidSpecException e) {
            CtlMain.err(spec).println("warning: the stored spec (revision " + stored.get().modRevision()
                    + ") is invalid, agents refuse it: " + e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Who holds the floating address, as the lb hosts' kernels say: one holder is right; none or two is said plainly
     * (two means both answer ARP for it, and clients reach either).
     */
    static String vipLine(ClusterSpec.Vip vip, List<HostStatus> statuses) {
        List<String> holders = statuses.stream().filter(s -> s.health().holdsVip())
                .map(HostStatus::host).toList();
        String line = "floating address " + vip.cidr() + ": ";
        if (holders.size() == 1) {
            return line + "held by " + holders.get(0);
        }
        return (holders.isEmpty() ? "WARNING: " + line + "held by no lb host (clients cannot connect through it)"
                : "ERROR: " + line + "held by " + String.join(" and ", holders) + " at once");
    }

    /**
     * Fast failover: whether it is on, each observer's verdict on the leader now, and the last early failover with
     * its evidence (shown while one is recorded, whether the option is still on or not).
     */
    static List<String> fastFailoverLines(Optional<ClusterSpec> cluster, Optional<String> leader,
                                          Map<String, LeaderVerdict> verdicts, Map<String, String> patroniVersions,
                                          Optional<EarlyFailover> last, long now) {
        List<String> lines = new ArrayList<>();
        Optional<ClusterSpec.Patroni> patroni = cluster.map(ClusterSpec::patroni)
                .filter(ClusterSpec.Patroni::fastFailover);
        if (patroni.isPresent()) {
            StringBuilder line = new StringBuilder("fast failover: on, after "
                    + patroni.get().fastFailoverAfterSeconds() + " s unreachable");
            Optional<String> refused = FailoverQuorum.patroniRefusal(patroniVersions);
            if (refused.isPresent()) {
                line.append(", but idle: ").append(refused.get());
            } else if (leader.isEmpty()) {
                line.append("; no leader now");
            } else {
                List<ClusterSpec.Host> observers = FailoverQuorum.observers(cluster.get(), leader.get());
                line.append("; observers of ").append(leader.get()).append(" (")
                        .append(FailoverQuorum.needed(observers.size())).append(" of ").append(observers.size())
                        .append(" must agree):");
                for (ClusterSpec.Host h : observers) {
                    Optional<LeaderVerdict> v = Optional.ofNullable(verdicts.get(h.name()))
                            .filter(x -> x.leader().equals(leader.get()));
                    line.append(' ').append(h.name()).append(' ').append(v.map(x -> x.reachable() ? "reachable"
                            : "UNREACHABLE(" + age(now - x.since()) + ")").orElse("no-verdict"));
                }
            }
            lines.add(line.toString());
        }
        last.ifPresent(f -> {
            lines.add("last early failover: " + f.leader() + "'s claim ended by " + f.by() + " " + age(now - f.at())
                    + " ago (" + java.time.Instant.ofEpochMilli(f.at()) + "), on the word of:");
            f.evidence().forEach(e -> lines.add("  " + e.describe()));
        });
        return lines;
    }

    /** The repository's newest backup, the last backup job and the last restore drill, as its host reports them. */
    static List<String[]> backupRows(List<HostStatus> statuses, long now) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"BACKUP-HOST", "STANZA", "BACKUPS", "NEWEST", "LAST-BACKUP", "LAST-DRILL"});
        for (HostStatus s : statuses) {
            if (s.backup() == null) {
                continue;
            }
            BackupReport b = s.backup();
            // A spare host reports the copies restored onto it, and has no stanza.
            String stanza = b.stanza().isEmpty() ? "-" : b.stanza().equals(BackupReport.OK) ? "ok" : "not ready";
            rows.add(new String[] {s.host(), stanza,
                    Integer.toString(b.backups().size()),
                    b.latest().map(x -> x.label() + " (" + age(now - x.stop() * 1000) + " ago)").orElse("-"),
                    b.job(HostRequest.BACKUP).map(j -> jobText(j, now)).orElse("-"),
                    b.job(HostRequest.DRILL).map(j -> jobText(j, now)).orElse("-")});
        }
        return rows;
    }

    /** A duration as a person reads it: 42s, 17m, 5h, 3d. */
    static String age(long millis) {
        long seconds = Math.max(0, millis / 1000);
        return seconds < 120 ? seconds + "s" : seconds < 7200 ? seconds / 60 + "m" : seconds < 172800
                ? seconds / 3600 + "h" : seconds / 86400 + "d";
    }

    private static String jobText(BackupReport.Job j, long now) {
        String when = j.done() ? age(now - j.finished()) + " ago" : "since " + age(now - j.started());
        return String.format(Locale.ROOT, "%s %s, %.1f s", j.state(), when, j.seconds(now));
    }

    /**
     * One row per etcd member as etcd lists it, with the figures its own agent read from it, and the last
     * defragmentation any agent recorded for it.
     */
    static List<String[]> etcdRows(List<EtcdMember> members, List<HostStatus> statuses) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"ETCD-MEMBER", "ID", "VOTES", "DB", "IN-USE", "QUOTA", "LEADER", "TERM", "APPLIED",
                "LAST-DEFRAG", "ALARMS"});
        Map<String, Long> lastDefrag = new LinkedHashMap<>();
        for (HostStatus s : statuses) {
            s.etcd().defragmentations().forEach(d -> lastDefrag.merge(d.member(), d.end(), Math::max));
        }
        for (EtcdMember m : members) {
            String name = m.started() ? m.name() : m.address();
            Optional<HostStatus> own = statuses.stream().filter(s -> s.etcd().member() != null
                    && s.etcd().member().id().equals(m.hexId())).findFirst();
            Optional<EtcdReport.Member> figures = own.map(s -> s.etcd().member());
            Optional<Long> quota = own.flatMap(s -> Optional.ofNullable(s.health().etcd())
                    .map(io.pgha.model.Health.Etcd::quotaBytes));
            String alarms = String.join(",", statuses.stream().flatMap(s -> s.etcd().alarms().stream())
                    .filter(a -> a.endsWith(" on " + name)).map(a -> a.substring(0, a.indexOf(' '))).distinct().toList());
            rows.add(new String[] {name, m.hexId(), m.learner() ? "learner" : "yes",
                    figures.map(f -> mib(f.dbBytes())).orElse("-"), figures.map(f -> mib(f.dbInUseBytes())).orElse("-"),
                    quota.map(StatusCommand::mib).orElse("-"), figures.map(EtcdReport.Member::leader).orElse("-"),
                    figures.map(f -> Long.toString(f.raftTerm())).orElse("-"),
                    figures.map(f -> Long.toString(f.appliedIndex())).orElse("-"),
                    Optional.ofNullable(lastDefrag.get(name)).map(t -> java.time.Instant.ofEpochMilli(t).toString())
                            .orElse("-"), alarms.isEmpty() ? "-" : alarms});
        }
        return rows;
    }

    /**
     * The pause, when there is one: since when and why, what waits for resume, which data hosts' Patroni says it is
     * paused, and why there is no leader if there is none; else a Patroni paused behind the agents' back.
     */
    static List<String> maintenanceLines(Optional<Maintenance> maintenance, Map<String, HostStatus> statuses) {
        List<String> lines = new ArrayList<>();
        List<HostStatus> data = statuses.values().stream().filter(s -> s.has(Role.DATA)).toList();
        List<String> patroniPaused = data.stream().filter(s -> s.health().patroni() != null
                && s.health().patroni().isPaused()).map(HostStatus::host).toList();
        if (maintenance.isEmpty()) {
            if (!patroniPaused.isEmpty()) {
                lines.add("WARNING: Patroni says paused on " + String.join(", ", patroniPaused) + " although the"
                        + " cluster is not (paused outside pghactl, or a resume under way): the agents resume it");
            }
            return lines;
        }
        lines.add(maintenance.get().describe() + ": no automatic failover; " + Maintenance.HELD
                + " wait for pghactl resume");
        List<String> notYet = data.stream().map(HostStatus::host).filter(h -> !patroniPaused.contains(h)).toList();
        if (!notYet.isEmpty()) {
            lines.add("  Patroni not paused yet on " + String.join(", ", notYet));
        }
        for (HostStatus s : data) {
            if (!s.pending().isEmpty()) {
                lines.add("  waits for resume on " + s.host() + ": " + String.join("; ",
                        s.pending().stream().map(Pending::describe).toList()));
            }
        }
        boolean leader = data.stream().anyMatch(s -> s.health().patroni() != null
                && s.health().patroni().isLeader() && "running".equals(s.health().patroni().state()));
        if (!data.isEmpty() && !leader) {
            lines.add("  no leader: Patroni elects none while paused (pghactl resume lets it fail over)");
        }
        return lines;
    }

    static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    private String[] row(HostStatus s, long now) {
        boolean data = s.has(Role.DATA);
        Health.Patroni patroni = s.health().patroni();
        Health.Postgres postgres = s.health().postgres();
        String pgRole = data && patroni != null && patroni.role() != null ? patroni.role() : data ? "-" : "";
        String state = data ? replicaState(patroni, postgres) : "";
        String lag = data && postgres != null && postgres.lagBytes() != null && postgres.lagBytes() >= 0
                ? postgres.lagBytes() + " B" : "";
        String rev = s.specRevision() == 0 ? "-" : Long.toString(s.specRevision());
        String age = ((now - s.updated()) / 1000) + "s";
        String error = !s.lastError().isEmpty() ? s.lastError() : String.join("; ", s.problems());
        String pending = String.join("; ", s.pending().stream().map(Pending::describe).toList());
        String warnings = String.join("; ", s.warnings());
        if (!wide) {
            return new String[] {s.host(), orDash(s.role()), rev, s.specStateText(), processes(s, false),
                    health(s), pgRole, state, lag, fsyncP99(s), age, orDash(error.isEmpty() ? pending : error),
                    warnings};
        }
        Optional<HostStatus.DiskLine> disk = s.disk().stream().findFirst();
        return new String[] {s.host(), orDash(s.role()), s.address(), rev, s.specStateText(),
                s.converged() ? "yes" : "no", processes(s, true),
                health(s), pgRole, state,
                data && patroni != null && patroni.timeline() != null && patroni.timeline() > 0
                        ? patroni.timeline().toString() : "",
                data && patroni != null && patroni.version() != null ? patroni.version()
                        + (patroni.timers() == null ? "" : ": " + patroni.timers()) : "",
                lag, disk.map(HostStatus.DiskLine::device).orElse(""),
                disk.map(HostStatus.DiskLine::busyPercent).map(b -> b + "%").orElse(""), fsyncP99(s),
                disk.map(d -> gib(d.freeBytes())).orElse(""),
                s.secretsRevision() == 0 ? "" : Long.toString(s.secretsRevision()), age, orDash(error), pending,
                warnings};
    }

    /** The slowest of the host's data directories. */
    private static String fsyncP99(HostStatus s) {
        return s.fsync().stream().mapToDouble(HostStatus.FsyncLine::p99Millis).max()
                .stream().mapToObj(v -> v + " ms").findFirst().orElse("");
    }

    private static String processes(HostStatus s, boolean pids) {
        List<String> parts = new ArrayList<>();
        s.processes().forEach(p -> parts.add(p.name() + ":" + p.state()
                + (pids && p.pid() > 0 ? "(" + p.pid() + ")" : "")));
        return parts.isEmpty() ? "-" : String.join(",", parts);
    }

    /**
     * One word for the engines' health (etcd's members down named), and which backends an lb routes writes to; a
     * host with several roles shows both.
     */
    private static String health(HostStatus s) {
        Health health = s.health();
        List<String> parts = new ArrayList<>();
        if (health.etcd() != null || health.patroni() != null || health.backup() != null) {
            List<String> down = health.etcd() == null ? List.of() : health.etcd().membersDown();
            String word = s.problems().isEmpty() ? "healthy" : "unhealthy";
            parts.add(down.isEmpty() ? word : word + " (etcd down: " + String.join(",", down) + ")");
        }
        if (health.haproxy() != null) {
            List<String> up = health.haproxy().up("primary");
            parts.add("writes->" + (up.isEmpty() ? "none" : String.join(",", up)));
        }
        if (health.vip() != null) {
            parts.add(health.vip().held() ? "holds-vip" : health.vip().fault() != null ? "vip-fault" : "vip-standby");
        }
        if (health.pooler() != null) {
            parts.add(!health.pooler().answering() ? "pooler-down" : health.pooler().paused() != null ? "pooler-paused"
                    : "pooler:" + health.pooler().clients());
        }
        return parts.isEmpty() ? "-" : String.join(" ", parts);
    }

    private static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (1024.0 * 1024 * 1024));
    }

    private static String replicaState(Health.Patroni patroni, Health.Postgres postgres) {
        if (postgres != null && postgres.isStreaming()) {
            return "streaming";
        }
        return patroni == null || patroni.state() == null ? "-" : patroni.state();
    }

    /**
     * A table cell: one line (a YAML parser's caret diagram spans several), and no control character from etcd ever
     * reaches the terminal raw.
     */
    static String cell(String s) {
        StringBuilder out = new StringBuilder();
        for (String part : s.strip().split("\\s+")) {
            if (out.length() > 0) {
                out.append(' ');
            }
            for (char c : part.toCharArray()) {
                if (c < 0x20 || (c >= 0x7f && c < 0xa0)) {
                    out.append(String.format(Locale.ROOT, "\\x%02x", (int) c));
                } else {
                    out.append(c);
                }
            }
        }
        return out.toString();
    }

    private static String orDash(String s) {
        return s.isEmpty() ? "-" : s;
    }

    /**
     * Columns padded to their widest cell; without --wide the last two (error or pending, warnings) share what is
     * left of {@link #WIDTH}, each cut with "..." where longer.
     */
    private void print(PrintWriter out, List<String[]> rows) {
        int columns = rows.get(0).length;
        for (String[] row : rows) {
            for (int i = 0; i < columns; i++) {
                row[i] = cell(row[i]);
            }
        }
        int[] width = new int[columns];
        for (String[] row : rows) {
            for (int i = 0; i < columns; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        if (!wide) {
            int fixed = 0;
            for (int i = 0; i < columns - 2; i++) {
                fixed += width[i] + 2;
            }
            int left = Math.max(24, WIDTH - fixed - 2);
            // The error (or what is pending) comes first: warnings keep 10 characters when the error is long.
            int error = Math.min(width[columns - 2], Math.max(left / 2, left - Math.min(width[columns - 1], 10)));
            width[columns - 2] = Math.max(error, rows.get(0)[columns - 2].length());
            width[columns - 1] = Math.max(left - width[columns - 2], rows.get(0)[columns - 1].length());
            for (String[] row : rows) {
                row[columns - 2] = cut(row[columns - 2], width[columns - 2]);
                row[columns - 1] = cut(row[columns - 1], width[columns - 1]);
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < columns; i++) {
                line.append(i == columns - 1 ? row[i] : String.format("%-" + (width[i] + 2) + "s", row[i]));
            }
            out.println(line.toString().stripTrailing());
        }
    }

    private static String cut(String s, int width) {
        return s.length() <= width ? s : s.substring(0, Math.max(0, width - 3)) + "...";
    }
}
