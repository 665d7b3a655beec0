import io.pgha.lab.Figures;
import io.pgha.lab.LabDrills;
import io.pgha.lab.LabPlan;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Fast failover against the lease: host crashes of the leader (every process killed) under writes through the lb, on
 * one lab per mode: strict synchronous mode, and quorum commit where Patroni has it (4.0 and later: --os trixie or
 * forky). Each lab first runs its rounds with patroni.fast_failover on, then the same spec with it off, on the same
 * lab and day. Each round's write gap is split into detection, decision, Patroni's election and HAProxy's switch.
 * Before the crashes with the option on and again after it was turned off, {@code cost-windows} windows of 30 s on
 * the idle cluster measure what the looks cost: the CPU of the leader's Postgres and of the other hosts' agents.
 * Prints a table per mode: medians and ranges over the rounds that finished, each row with its n; a failed round adds
 * no row and is counted apart. Run from the repository root, as root, with no lab up:
 *   mvn -q -B package -DskipTests && java -cp target/pgha-agent.jar bench/FastFailoverBench.java \
 *       [rounds] [--os trixie|forky] [off-rounds=N] [cost-windows=N] [strict|quorum]
 */
public class FastFailoverBench {
    private static final long COST_SECONDS = 30;

    public static void main(String[] args) throws Exception {
        List<String> rest = new ArrayList<>(List.of(args));
        int offRounds = 3;
        int costWindows = 3;
        for (String word : List.copyOf(rest)) {
            if (word.startsWith("off-rounds=")) {
                offRounds = Integer.parseInt(word.substring("off-rounds=".length()));
                rest.remove(word);
            } else if (word.startsWith("cost-windows=")) {
                costWindows = Integer.parseInt(word.substring("cost-windows=".length()));
                rest.remove(word);
            }
        }
        List<String> modeWords = rest.stream().filter(w -> w.equals("strict") || w.equals("quorum")).toList();
        rest.removeAll(modeWords);
        LabDrills.Args a = LabDrills.Args.parse(rest.toArray(String[]::new), 10);
        Path home = Path.of("").toAbsolutePath();
        List<LabDrills.Config> modes = new ArrayList<>();
        if (modeWords.isEmpty() || modeWords.contains("strict")) {
            modes.add(new LabDrills.Config("strict synchronous", LabPlan.RECOMMENDED_TIMERS, "true", true, true));
        }
        if (a.os() != LabPlan.Os.LOCAL && (modeWords.isEmpty() || modeWords.contains("quorum"))) {
            modes.add(new LabDrills.Config("quorum commit", LabPlan.RECOMMENDED_TIMERS, "quorum", true, true));
        }
        StringBuilder report = new StringBuilder(Figures.heading("FastFailoverBench (" + a.os() + ")",
                "java -cp target/pgha-agent.jar bench/FastFailoverBench.java " + String.join(" ", args)));
        for (LabDrills.Config mode : modes) {
            Figures figures = new Figures();
            LabDrills drills = new LabDrills(home, a.os());
            int off = offRounds;
            int windows = costWindows;
            java.time.Duration ttl = java.time.Duration.ofSeconds(mode.timers().ttl());
            figures.run("lab", lab -> drills.withLab(mode, lab, spec -> {
                for (int window = 1; window <= windows; window++) {
                    figures.run("cost window, fast failover on", out -> drills.observerCost("on", out, COST_SECONDS));
                }
                for (int round = 1; round <= a.runs(); round++) {
                    System.err.printf("== %s, fast failover on, round %d of %d%n", mode.name(), round, a.runs());
                    long firstId = 10_000_000L * round;
                    figures.run("round, fast failover on", out -> drills.crashInParts("on", out, firstId, ttl));
                    System.err.print(figures.table());
                }
                drills.reapply(new LabDrills.Config(mode.name(), mode.timers(), mode.synchronousMode(),
                        mode.strict(), false), spec);
                for (int window = 1; window <= windows; window++) {
                    figures.run("cost window, fast failover off", out -> drills.observerCost("off", out, COST_SECONDS));
                }
                for (int round = 1; round <= off; round++) {
                    System.err.printf("== %s, fast failover off, round %d of %d%n", mode.name(), round, off);
                    long firstId = 500_000_000L + 10_000_000L * round;
                    figures.run("round, fast failover off", out -> drills.crashInParts("off", out, firstId, ttl));
                }
            }));
            report.append('\n').append(mode.name()).append(", timers ").append(mode.timers()).append('\n')
                    .append(figures.table());
        }
        System.out.print(report);
    }
}
