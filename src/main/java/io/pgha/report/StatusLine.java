package io.pgha.report;

import io.pgha.model.BackupReport;
import io.pgha.model.Health;
import io.pgha.model.HostStatus;
import java.util.ArrayList;
import java.util.List;

/** The one human line {@code systemctl status pgha-agent} shows, made from the host's status. */
public final class StatusLine {
    private StatusLine() {
    }

    public static String of(HostStatus s) {
        String role = s.role().isEmpty() ? "no role" : s.role();
        boolean several = role.contains("+");
        List<String> parts = new ArrayList<>();
        for (String one : role.split("\\+")) {
            switch (one) {
                // "member healthy" alone would not say of what, beside Postgres' words.
                case "etcd" -> parts.add((several ? "etcd " : "") + etcd(s.health().etcd()));
                case "data" -> parts.add(data(s.health().patroni(), s.health().postgres()));
                case "lb" -> parts.add(lb(s.health().haproxy()) + vip(s.health().vip()) + pooler(s.health().pooler()));
                case "backup" -> parts.add(backup(s.backup(), s.updated()));
                default -> {
                    if (!s.warnings().isEmpty()) {
                        parts.add(s.warnings().get(0));
                    }
                }
            }
        }
        String what = String.join(", ", parts);
        // "applied" only when the host says it is in effect; what it waits for comes first among the troubles.
        String spec = s.specRevision() == 0 ? "no spec yet" : "spec rev " + s.specRevision() + " " + s.specStateText();
        String line = paused(s) + role + ": " + (what.isEmpty() ? "" : what + ", ") + spec;
        String trouble = !s.lastError().isEmpty() ? s.lastError() : !s.problems().isEmpty() ? s.problems().get(0)
                : s.pending().isEmpty() ? "" : s.pending().get(0).describe();
        if (!trouble.isEmpty()) {
            line += "; " + trouble.lines().findFirst().orElse("");
        }
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }

    /** "PAUSED since ... (reason); " first while the cluster is paused, with Patroni's word on a data host. */
    private static String paused(HostStatus s) {
        if (s.maintenance() == null) {
            return "";
        }
        Health.Patroni patroni = s.health().patroni();
        boolean notYet = s.has(io.pgha.model.Role.DATA) && (patroni == null || !patroni.isPaused());
        return s.maintenance().describe() + (notYet ? ", Patroni not paused yet" : "") + "; ";
    }

    /** The repository: how many backups, the newest's age, the last drill's outcome. */
    private static String backup(BackupReport b, long now) {
        if (b == null) {
            return "repository not read yet";
        }
        if (!b.stanza().equals(BackupReport.OK)) {
            return "repository: " + b.stanza();
        }
        String newest = b.latest().map(x -> ", newest " + Math.max(0, (now / 1000 - x.stop()) / 60) + " min old")
                .orElse("");
        String drill = b.job("drill").map(j -> ", last drill " + j.state()).orElse(", no drill yet");
        return b.backups().size() + " backup" + (b.backups().size() == 1 ? "" : "s") + newest + drill;
    }

    private static String etcd(Health.Etcd etcd) {
        if (etcd == null) {
            return "member not probed yet";
        }
        long up = etcd.members().values().stream().filter(Boolean.TRUE::equals).count();
        return "member " + (etcd.isHealthy() ? "healthy" : "unhealthy")
                + (etcd.members().isEmpty() ? "" : " (" + up + "/" + etcd.members().size() + " members healthy)");
    }

    private static String data(Health.Patroni patroni, Health.Postgres postgres) {
        if (patroni == null || patroni.role() == null) {
            return "Patroni " + (patroni != null && patroni.state() != null ? patroni.state() : "not answering");
        }
        if (patroni.isLeader()) {
            long streaming = postgres == null ? 0 : postgres.streamingReplicas();
            return "leader, " + streaming + " replica" + (streaming == 1 ? "" : "s") + " streaming";
        }
        boolean streaming = postgres != null && postgres.isStreaming();
        return "replica of " + patroni.leader() + ", " + (streaming ? "streaming, lag " + postgres.lagBytes() + " B"
                : patroni.state());
    }

    private static String lb(Health.Haproxy haproxy) {
        Health.Haproxy h = haproxy == null ? new Health.Haproxy(null) : haproxy;
        return "writes -> " + joined(h.up("primary")) + ", reads -> " + joined(h.up("replicas"));
    }

    /** ", holds 10.0.2.100", ", standing by for 10.0.2.100", or why this host stood down from it. */
    static String vip(Health.Vip vip) {
        if (vip == null) {
            return "";
        }
        return vip.held() ? ", holds " + vip.address() + (vip.fault() == null ? "" : " (standing down: " + vip.fault()
                + ")") : vip.fault() == null ? ", standing by for " + vip.address()
                : ", not taking " + vip.address() + ": " + vip.fault();
    }

    /** ", pooler 12 clients", ", pooler paused for a switchover", or ", pooler down". */
    static String pooler(Health.Pooler pooler) {
        if (pooler == null) {
            return "";
        }
        return !pooler.answering() ? ", pooler down" : pooler.paused() != null ? ", pooler paused for a switchover"
                : ", pooler " + pooler.clients() + (pooler.clients() == 1 ? " client" : " clients");
    }

    private static String joined(List<String> names) {
        return names.isEmpty() ? "none" : String.join(",", names);
    }
}
