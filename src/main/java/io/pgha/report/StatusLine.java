package io.pgha.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The one human line {@code systemctl status pgha-agent} shows, made from the host's status. */
public final class StatusLine {
    private StatusLine() {
    }

    public static String of(HostStatus s) {
        String role = s.role().isEmpty() ? "no role" : s.role();
        List<String> parts = new ArrayList<>();
        for (String one : role.split("\\+")) {
            switch (one) {
                // "member healthy" alone would not say of what, beside Postgres' words.
                case "etcd" -> parts.add((role.contains("+") ? "etcd " : "") + etcd(s.health()));
                case "data" -> parts.add(data(s.health()));
                case "lb" -> parts.add(lb(s.health()));
                default -> {
                    if (!s.warnings().isEmpty()) {
                        parts.add(s.warnings().get(0));
                    }
                }
            }
        }
        String what = String.join(", ", parts);
        String spec = s.specRevision() == 0 ? "no spec yet" : "spec rev " + s.specRevision()
                + (s.converged() ? " applied" : " converging");
        String line = role + ": " + (what.isEmpty() ? "" : what + ", ") + spec;
        String trouble = !s.lastError().isEmpty() ? s.lastError() : s.problems().isEmpty() ? "" : s.problems().get(0);
        if (!trouble.isEmpty()) {
            line += "; " + trouble.lines().findFirst().orElse("");
        }
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }

    private static String etcd(Map<String, Object> health) {
        Map<?, ?> etcd = map(health.get("etcd"));
        Map<?, ?> members = map(etcd.get("members"));
        long up = members.values().stream().filter(Boolean.TRUE::equals).count();
        return "member " + (Boolean.TRUE.equals(etcd.get("healthy")) ? "healthy" : "unhealthy")
                + (members.isEmpty() ? "" : " (" + up + "/" + members.size() + " members healthy)");
    }

    private static String data(Map<String, Object> health) {
        Map<?, ?> patroni = map(health.get("patroni"));
        Map<?, ?> postgres = map(health.get("postgres"));
        Object role = patroni.get("role");
        if ("leader".equals(role)) {
            List<?> replicas = postgres.get("replicas") instanceof List<?> l ? l : List.of();
            long streaming = replicas.stream().filter(r -> "streaming".equals(map(r).get("state"))).count();
            return "leader, " + streaming + " replica" + (streaming == 1 ? "" : "s") + " streaming";
        }
        if (role == null) {
            return "Patroni " + (patroni.containsKey("state") ? patroni.get("state") : "not answering");
        }
        String leader = String.valueOf(patroni.get("leader"));
        boolean streaming = Boolean.TRUE.equals(postgres.get("streaming"));
        return "replica of " + leader + ", " + (streaming ? "streaming, lag " + postgres.get("lag_bytes") + " B"
                : String.valueOf(patroni.get("state")));
    }

    private static String lb(Map<String, Object> health) {
        Map<?, ?> haproxy = map(health.get("haproxy"));
        return "writes -> " + up(map(haproxy.get("primary"))) + ", reads -> " + up(map(haproxy.get("replicas")));
    }

    private static String up(Map<?, ?> servers) {
        List<String> up = new ArrayList<>();
        servers.forEach((name, state) -> {
            if (String.valueOf(state).startsWith("UP")) {
                up.add(String.valueOf(name));
            }
        });
        return up.isEmpty() ? "none" : String.join(",", up);
    }

    private static Map<?, ?> map(Object o) {
        return o instanceof Map<?, ?> m ? m : Map.of();
    }
}
