package io.pgha.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.pgha.spec.AgentConfig;
import io.pgha.spec.ClusterSpec;
import io.pgha.spec.ClusterSpecParser;
import io.pgha.spec.InvalidSpecException;
import io.pgha.store.EtcdStore;
import io.pgha.store.Keys;
import io.pgha.store.StoreException;
import io.pgha.store.Versioned;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "status", description = "One row per host: role, spec revision applied, converged, processes, health.")
final class StatusCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @CommandLine.ParentCommand
    CtlMain ctl;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--json", description = "every host's full status as a JSON array")
    boolean json;

    @Override
    public Integer call() throws CtlMain.BadInputException, StoreException, IOException {
        AgentConfig agent = ctl.agentConfig();
        Keys keys = new Keys(agent.cluster());
        Map<String, JsonNode> statuses = new LinkedHashMap<>();
        Optional<Versioned> stored;
        try (EtcdStore store = ctl.store(agent)) {
            stored = store.get(keys.spec());
            for (Versioned v : store.getPrefix(keys.hostsPrefix()).values()) {
                JsonNode node = JSON.readTree(v.value());
                statuses.put(node.path("host").asText(), node);
            }
        }
        Optional<ClusterSpec> cluster = Optional.empty();
        if (stored.isPresent()) {
            try {
                cluster = Optional.of(new ClusterSpecParser(agent).parse(stored.get().value(), "stored spec"));
            } catch (InvalidSpecException e) {
                CtlMain.err(spec).println("warning: the stored spec (revision " + stored.get().modRevision()
                        + ") is invalid, agents refuse it: " + e.getMessage());
            }
        }
        List<String> hosts = new ArrayList<>();
        cluster.ifPresent(c -> hosts.addAll(c.hosts().keySet()));
        agent.members().keySet().stream().filter(h -> !hosts.contains(h)).forEach(hosts::add);
        statuses.keySet().stream().filter(h -> !hosts.contains(h)).forEach(hosts::add);

        if (json) {
            ArrayNode array = JSON.createArrayNode();
            hosts.stream().filter(statuses::containsKey).forEach(h -> array.add(statuses.get(h)));
            CtlMain.out(spec).println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(array));
            return CtlMain.OK;
        }
        long revision = stored.map(Versioned::modRevision).orElse(0L);
        PrintWriter out = CtlMain.out(spec);
        out.println("cluster " + agent.cluster() + ", spec revision " + (revision == 0 ? "none" : revision));
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"HOST", "ROLE", "ADDRESS", "REV", "CONVERGED", "PROCESSES", "HEALTH", "PG-ROLE", "STATE",
                "TL", "LAG", "DEVICE", "BUSY", "FSYNC-P99", "FREE", "AGE", "ERROR"});
        long now = System.currentTimeMillis();
        for (String host : hosts) {
            JsonNode s = statuses.get(host);
            if (s == null) {
                String role = cluster.flatMap(c -> c.host(host)).map(ClusterSpec.Host::rolesId).orElse("etcd");
                String address = cluster.flatMap(c -> c.host(host)).map(ClusterSpec.Host::address)
                        .orElse(agent.members().getOrDefault(host, "-"));
                rows.add(new String[] {host, role, address, "-", "-", "-", "-", "", "", "", "", "", "", "", "", "-",
                        "no status: agent down or not started"});
                continue;
            }
            JsonNode patroni = s.path("health").path("patroni");
            JsonNode postgres = s.path("health").path("postgres");
            boolean data = Arrays.asList(s.path("role").asText().split("\\+")).contains("data");
            rows.add(new String[] {host, orDash(s.path("role").asText()), s.path("address").asText(),
                    s.path("spec_revision").asLong() == 0 ? "-" : s.path("spec_revision").asText(),
                    s.path("converged").asBoolean() ? "yes" : "no", processes(s), health(s),
                    data ? patroni.path("role").asText("-") : "",
                    data ? replicaState(patroni, postgres) : "",
                    data && patroni.path("timeline").asLong() > 0 ? patroni.path("timeline").asText() : "",
                    data ? lag(postgres) : "",
                    disk(s, "device"), disk(s, "busy_pct").isEmpty() ? "" : disk(s, "busy_pct") + "%",
                    fsyncP99(s),
                    s.path("disk").path(0).has("free_bytes") ? gib(s.path("disk").path(0).path("free_bytes").asLong()) : "",
                    ((now - s.path("updated").asLong()) / 1000) + "s",
                    orDash(oneLine(trouble(s)))});
        }
        print(out, rows);
        return CtlMain.OK;
    }

    /** The slowest of the host's data directories. */
    private static String fsyncP99(JsonNode s) {
        double worst = -1;
        for (JsonNode f : s.path("fsync")) {
            worst = Math.max(worst, f.path("p99_ms").asDouble(-1));
        }
        return worst < 0 ? "" : worst + " ms";
    }

    private static String processes(JsonNode s) {
        List<String> parts = new ArrayList<>();
        s.path("processes").forEach(p -> parts.add(p.path("name").asText() + ":" + p.path("state").asText()
                + (p.path("pid").asLong() > 0 ? "(" + p.path("pid").asLong() + ")" : "")));
        return parts.isEmpty() ? "-" : String.join(",", parts);
    }

    /**
     * One word for the engines' health (etcd's members down named), and which backends an lb routes writes to; a
     * host with several roles shows both.
     */
    private static String health(JsonNode s) {
        JsonNode health = s.path("health");
        List<String> parts = new ArrayList<>();
        if (health.has("etcd") || health.has("patroni")) {
            List<String> down = new ArrayList<>();
            health.path("etcd").path("members").fields().forEachRemaining(e -> {
                if (!e.getValue().asBoolean()) {
                    down.add(e.getKey());
                }
            });
            String word = s.path("problems").isEmpty() ? "healthy" : "unhealthy";
            parts.add(down.isEmpty() ? word : word + " (etcd down: " + String.join(",", down) + ")");
        }
        if (health.has("haproxy")) {
            List<String> up = new ArrayList<>();
            health.path("haproxy").path("primary").fields().forEachRemaining(e -> {
                if (e.getValue().asText().startsWith("UP")) {
                    up.add(e.getKey());
                }
            });
            parts.add("writes->" + (up.isEmpty() ? "none" : String.join(",", up)));
        }
        return parts.isEmpty() ? "-" : String.join(" ", parts);
    }

    /** The error, else the probes' problems, else the warnings: what an operator should look at first. */
    private static String trouble(JsonNode s) {
        if (!s.path("last_error").asText().isEmpty()) {
            return s.path("last_error").asText();
        }
        List<String> problems = texts(s.path("problems"));
        return problems.isEmpty() ? String.join("; ", texts(s.path("warnings"))) : String.join("; ", problems);
    }

    /** A field of the host's first data device (the role's data directory). */
    private static String disk(JsonNode s, String field) {
        JsonNode v = s.path("disk").path(0).path(field);
        return v.isMissingNode() ? "" : v.asText();
    }

    private static String gib(long bytes) {
        return String.format("%.1f GiB", bytes / (1024.0 * 1024 * 1024));
    }

    private static String replicaState(JsonNode patroni, JsonNode postgres) {
        String state = patroni.path("state").asText("-");
        return postgres.path("streaming").asBoolean(false) ? "streaming" : state;
    }

    private static String lag(JsonNode postgres) {
        return postgres.has("lag_bytes") && postgres.path("lag_bytes").asLong() >= 0
                ? postgres.path("lag_bytes").asText() + " B" : "";
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    /** Errors can span lines (a YAML parser's caret diagram); a table row cannot. */
    private static String oneLine(String s) {
        String flat = s.replaceAll("\\s+", " ").strip();
        return flat.length() > 200 ? flat.substring(0, 200) + "..." : flat;
    }

    private static String orDash(String s) {
        return s.isEmpty() ? "-" : s;
    }

    private static void print(PrintWriter out, List<String[]> rows) {
        int columns = rows.get(0).length;
        int[] width = new int[columns];
        for (String[] row : rows) {
            for (int i = 0; i < columns - 1; i++) {
                width[i] = Math.max(width[i], row[i].length());
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
}
