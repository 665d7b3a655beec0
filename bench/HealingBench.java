import io.pgha.lab.Figures;
import io.pgha.lab.LabDrills;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The self-healing drills, each {@code runs} times in a row on one lab per Patroni configuration: asynchronous,
 * restart-parameter rollouts up and down and etcd quorum losses after a switchover, then up to three partitions that
 * leave a diverged former primary; synchronous, leader-host crashes. A drill that fails adds no row and is counted
 * apart; the next starts once the cluster has converged again. Run from the repository root, as root, no lab up:
 *   mvn -q -B package -DskipTests && java -cp target/pgha-agent.jar bench/HealingBench.java [runs] [--os trixie|forky] [config-word...]
 */
public class HealingBench {
    public static void main(String[] args) throws Exception {
        LabDrills.Args a = LabDrills.Args.parse(args, 3);
        Path home = Path.of("").toAbsolutePath();
        StringBuilder report = new StringBuilder(Figures.heading("HealingBench (" + a.os() + ")",
                "java -cp target/pgha-agent.jar bench/HealingBench.java " + String.join(" ", args)));
        for (LabDrills.Config config : a.configs()) {
            Figures figures = new Figures();
            LabDrills drills = new LabDrills(home, a.os());
            figures.run("lab up", out -> drills.withLab(config, out, spec -> {
                long id = 10_000_000;
                for (int i = 1; i <= a.runs(); i++) {
                    id += 1_000_000;
                    long first = id;
                    if (config.synchronous()) {
                        drill(drills, figures, "synchronous leader-host crash", i, a.runs(), o -> drills.crash(
                                "synchronous leader-host crash", o, first));
                    } else {
                        drill(drills, figures, "rollout up and down", i, a.runs(),
                                o -> drills.rollouts(config, spec, o, first));
                        drill(drills, figures, "etcd quorum loss after a switchover", i, a.runs(),
                                o -> drills.quorumLoss(o, first + 500_000));
                    }
                }
                if (!config.synchronous()) {
                    // Each takes minutes when the agent's repair is what ends it: three say how long it takes.
                    int diverged = Math.min(a.runs(), 3);
                    for (int i = 1; i <= diverged; i++) {
                        long first = id + i * 100_000L;
                        drill(drills, figures, "diverged former primary", i, diverged, o -> drills.partition(
                                "async partition, diverged former primary", o, first, drills.healDelay(config)));
                    }
                }
            }));
            report.append('\n').append(config.name()).append('\n').append(figures.table());
            System.err.print(figures.table());
        }
        System.out.print(report);
    }

    /** One drill as a run of its own; after a failure, the next waits for the cluster to converge again. */
    static void drill(LabDrills drills, Figures figures, String name, int i, int of, Figures.Body body)
            throws Exception {
        System.err.printf("== %s, %d of %d%n", name, i, of);
        if (!figures.run(name, body)) {
            drills.await(Duration.ofSeconds(300), () -> drills.allConverged(0));
        }
    }
}
