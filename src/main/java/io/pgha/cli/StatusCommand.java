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
    public Integer call() throws StoreException, IOException {
        AgentConfig agent;
        try {
            agent = ctl.agentConfig();
        } catch (CtlMain.BadInputException e) {
            CtlMain.err(spec).println(e.getMessage());
            return CtlMain.BAD_INPUT;
        }
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
        rows.add(new String[] {"HOST", "ROLE", "ADDRESS", "REV", "CONVERGED", "PROCESSES", "HEALTH", "AGE", "ERROR"});
        long now = System.currentTimeMillis();
        for (String host : hosts) {
            JsonNode s = statuses.get(host);
            if (s == null) {
                String role = cluster.flatMap(c -> c.host(host)).map(h -> h.role().id()).orElse("etcd");
                String address = cluster.flatMap(c -> c.host(host)).map(ClusterSpec.Host::address)
                        .orElse(agent.members().getOrDefault(host, "-"));
                rows.add(new String[] {host, role, address, "-", "-", "-", "-", "-", "no status: agent down or not started"});
                continue;
            }
            rows.add(new String[] {host, orDash(s.path("role").asText()), s.path("address").asText(),
                    s.path("spec_revision").asLong() == 0 ? "-" : s.path("spec_revision").asText(),
                    s.path("converged").asBoolean() ? "yes" : "no", processes(s), health(s),
                    ((now - s.path("updated").asLong()) / 1000) + "s", orDash(s.path("last_error").asText())});
        }
        print(out, rows);
        return CtlMain.OK;
    }

    private static String processes(JsonNode s) {
        List<String> parts = new ArrayList<>();
        s.path("processes").forEach(p -> parts.add(p.path("name").asText() + ":" + p.path("state").asText()
                + (p.path("pid").asLong() > 0 ? "(" + p.path("pid").asLong() + ")" : "")));
        return parts.isEmpty() ? "-" : String.join(",", parts);
    }

    private static String health(JsonNode s) {
        List<String> parts = new ArrayList<>();
        s.path("health").fields().forEachRemaining(e -> parts.add(e.getKey() + ":"
                + (e.getValue().path("healthy").asBoolean() ? "healthy" : "unhealthy")));
        return parts.isEmpty() ? "-" : String.join(",", parts);
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
