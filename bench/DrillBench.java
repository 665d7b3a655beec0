import io.pgha.lab.Figures;
import io.pgha.lab.LabDrills;
import java.nio.file.Path;

/**
 * The failure drills on the seven-host lab, per Patroni configuration, each run on a lab of its own: bring-up, a spec
 * change, a planned switchover, a host crash of the leader, a partition of the primary, all under writes through the
 * lb. Prints a table per configuration: medians over the runs that finished, each row with its n; a run that failed
 * adds no row and is counted apart. Run from the repository root, as root, with no lab up:
 *   mvn -q -B package -DskipTests && java -cp target/pgha-agent.jar bench/DrillBench.java [runs] [--os trixie|forky] [config-word...]
 * --os trixie (forky) runs the hosts as booted Debian 13 (14) machines with the newest target/deb/*.deb (packaging/deb/build-deb).
 * Words pick configurations by their name: guide, recommended, async, synchronous, quorum (Patroni 4.0 and later;
 * only when named).
 */
public class DrillBench {
    public static void main(String[] args) throws Exception {
        LabDrills.Args a = LabDrills.Args.parse(args, 3);
        Path home = Path.of("").toAbsolutePath();
        StringBuilder report = new StringBuilder(Figures.heading("DrillBench (" + a.os() + ")",
                "java -cp target/pgha-agent.jar bench/DrillBench.java " + String.join(" ", args)));
        for (LabDrills.Config config : a.configs()) {
            Figures figures = new Figures();
            java.util.Set<String> timers = new java.util.TreeSet<>();
            for (int run = 1; run <= a.runs(); run++) {
                System.err.printf("== %s, run %d of %d%n", config.name(), run, a.runs());
                LabDrills drills = new LabDrills(home, a.os());
                figures.run("run", out -> drills.withLab(config, out, spec -> {
                    drills.specChange(config, spec, out);
                    drills.switchover(config, out);
                    // As an operator would: the next drill starts from a converged cluster. The statuses may
                    // still be the ones from before the switchover, so the switchover itself waits for what a
                    // failover needs in synchronous mode, a standby Patroni recorded as synchronous.
                    drills.awaitConverged();
                    drills.crash("host crash (kill -9 of everything)", out, 2_000_000);
                    drills.partition("partition of the primary", out, 3_000_000, drills.healDelay(config));
                }));
                timers.addAll(drills.timersSeen());
                System.err.print(figures.table());
            }
            report.append('\n').append(config.name()).append("; timers as the data hosts report them: ")
                    .append(timers).append('\n').append(figures.table());
        }
        System.out.print(report);
    }
}
