package io.pgha.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The dashboard and the alert rules under packaging/monitoring name only metrics the agents export, and every rule
 * says how bad it is and what happened. (That each query returns series from a real cluster is for an IT with
 * Prometheus; this catches a renamed metric at once.)
 */
class MonitoringFilesTest {
    private static final Path DIR = Path.of("packaging/monitoring");
    private static final Pattern METRIC = Pattern.compile("\\bpgha_[a-z0-9_]+");
    /** Prometheus' own series beside the agents'. */
    private static final Set<String> PROMETHEUS = Set.of("up");

    private static Set<String> metricsIn(String expr) {
        Set<String> names = new TreeSet<>();
        Matcher m = METRIC.matcher(expr);
        while (m.find()) {
            names.add(m.group());
        }
        return names;
    }

    private static List<String> dashboardExprs() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(DIR.resolve("pgha-agent-dashboard.json").toFile());
        List<String> exprs = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            if (panel.path("type").asText().equals("row")) {
                continue;
            }
            assertFalse(panel.path("targets").isEmpty(), "panel '" + panel.path("title").asText() + "' has a query");
            panel.path("targets").forEach(t -> exprs.add(t.path("expr").asText()));
        }
        return exprs;
    }

    @Test
    void everyMetricTheDashboardAndTheRulesNameIsOneTheAgentsExport() throws Exception {
        Set<String> exported = new AgentMetrics().names();
        List<String> exprs = new ArrayList<>(dashboardExprs());
        JsonNode rules = new ObjectMapper(new YAMLFactory()).readTree(DIR.resolve("pgha-agent.rules.yml").toFile());
        rules.path("groups").forEach(g -> g.path("rules").forEach(r -> exprs.add(r.path("expr").asText())));
        List<String> unknown = new ArrayList<>();
        for (String expr : exprs) {
            assertFalse(expr.isBlank(), exprs.toString());
            metricsIn(expr).stream().filter(n -> !exported.contains(n)).forEach(n -> unknown.add(n + " in " + expr));
        }
        assertEquals(List.of(), unknown, "exported: " + exported);
        assertTrue(exprs.stream().anyMatch(e -> PROMETHEUS.stream().anyMatch(e::contains)), "an agent that does not"
                + " answer is an alert too");
    }

    @Test
    void everyRuleSaysHowBadAndWhatHappened() throws Exception {
        JsonNode rules = new ObjectMapper(new YAMLFactory()).readTree(DIR.resolve("pgha-agent.rules.yml").toFile());
        List<String> names = new ArrayList<>();
        for (JsonNode group : rules.path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                String name = rule.path("alert").asText();
                names.add(name);
                assertTrue(Set.of("critical", "warning").contains(rule.path("labels").path("severity").asText()),
                        name + ": severity critical or warning");
                assertFalse(rule.path("annotations").path("summary").asText().isBlank(), name + ": a summary");
                assertFalse(rule.path("for").asText().isBlank(), name + ": a 'for' (0m when it fires at once)");
            }
        }
        assertTrue(names.containsAll(List.of("PghaNoLeader", "PghaReplicaLagHigh", "PghaReplicaNotStreaming",
                "PghaEtcdQuotaNear", "PghaEtcdAlarm", "PghaArchiveFailing", "PghaBackupTooOld", "PghaDrillTooOld",
                "PghaHostNotApplyingSpec", "PghaCertificateExpiry")), names.toString());
        assertEquals(names.size(), new TreeSet<>(names).size(), "each alert once: " + names);
    }
}
