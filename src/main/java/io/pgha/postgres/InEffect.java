package io.pgha.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgha.model.Pending;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What of the desired Postgres parameters and Patroni configuration is not in effect on a data host, read back from
 * pg_settings and Patroni's /config, and what each difference waits for. Pure: the callers read, this compares.
 */
public final class InEffect {
    /**
     * PostgreSQL's hot-standby rule: a standby must run with at least the primary's value of these. Patroni starts a
     * replica with the primary's value (from pg_controldata) when the configured one is lower, so lowering one takes
     * effect on the leader first and on the replicas only after; raising one, the other way round.
     */
    public static final Set<String> HOT_STANDBY_MINIMUMS = Set.of("max_connections", "max_worker_processes",
            "max_wal_senders", "max_prepared_transactions", "max_locks_per_transaction");

    private InEffect() {
    }

    /**
     * The desired parameters not in effect here.
     *
     * @param here   this server's pg_settings for the desired names
     * @param leader the leader's pg_settings for the hot-standby parameters; empty on the leader itself or when the
     *               leader could not be read
     */
    public static List<Pending> parameters(Map<String, String> desired, Map<String, PgSetting> here,
                                           Map<String, PgSetting> leader, boolean isLeader) {
        List<Pending> out = new ArrayList<>();
        desired.forEach((name, want) -> {
            PgSetting s = here.get(name);
            if (s == null) {
                out.add(new Pending(name, "", want, Pending.UNKNOWN));
            } else if (!s.has(want)) {
                String waits = !isLeader && heldUpByLeader(name, want, s, leader.get(name)) ? Pending.LEADER_RESTART
                        : s.needsRestart() ? Pending.RESTART : Pending.RELOAD;
                out.add(new Pending(name, s.shown(), want, waits));
            }
        });
        return out;
    }

    /**
     * A replica's hot-standby parameter that its own restart cannot lower: the leader runs with more than desired,
     * and this replica runs with exactly the leader's value, which is what Patroni would start it with again.
     */
    private static boolean heldUpByLeader(String name, String want, PgSetting here, PgSetting leader) {
        if (!HOT_STANDBY_MINIMUMS.contains(name) || leader == null) {
            return false;
        }
        Optional<Double> wanted = here.number(want);
        Optional<Double> leaderHas = leader.numericSetting();
        return wanted.isPresent() && leaderHas.isPresent() && leaderHas.get() > wanted.get()
                && here.numericSetting().equals(leaderHas);
    }

    /** Whether the desired values lower a hot-standby parameter below what this server runs with. */
    public static boolean lowersHotStandbyMinimum(Map<String, String> desired, Map<String, PgSetting> here) {
        return desired.entrySet().stream().anyMatch(e -> HOT_STANDBY_MINIMUMS.contains(e.getKey())
                && here.containsKey(e.getKey())
                && here.get(e.getKey()).number(e.getValue()).flatMap(want -> here.get(e.getKey()).numericSetting()
                        .map(have -> want < have)).orElse(false));
    }

    /** The parts of Patroni's dynamic configuration ({@code GET /config}) that differ from the desired one. */
    public static List<Pending> patroniConfig(JsonNode desired, JsonNode actual) {
        List<Pending> out = new ArrayList<>();
        leaves(PatroniConfigResource.patch(desired, actual, ""), "", actual, out);
        return out;
    }

    private static void leaves(JsonNode patch, String path, JsonNode actual, List<Pending> out) {
        patch.fields().forEachRemaining(e -> {
            String name = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
            JsonNode had = actual.path(e.getKey());
            if (e.getValue().isObject()) {
                leaves(e.getValue(), name, had, out);
            } else {
                out.add(new Pending("patroni " + name, had.isValueNode() ? had.asText() : "",
                        e.getValue().isNull() ? "(removed)" : e.getValue().asText(), Pending.PATRONI_CONFIG));
            }
        });
    }
}
