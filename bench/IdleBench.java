import io.pgha.lab.Figures;
import io.pgha.lab.LabDrills;
import java.nio.file.Path;

/**
 * What the agents cost on a healthy, idle seven-host lab, per Patroni configuration: RSS and CPU per agent, and the
 * writes to etcd by the agents and by everything, over a window of idle seconds after bring-up. Medians over the runs
 * that finished, each row with its n; a failed run adds no row and is counted apart. Run from the repository root, as
 * root, with no lab up:
 *   mvn -q -B package -DskipTests && java -cp target/pgha-agent.jar bench/IdleBench.java [runs] [--os trixie|forky] [config-word...]
 * The window is 300 s (-Didle.seconds=N to change it).
 */
public class IdleBench {
    public static void main(String[] args) throws Exception {
        LabDrills.Args a = LabDrills.Args.parse(args, 3);
        long seconds = Long.getLong("idle.seconds", 300);
        Path home = Path.of("").toAbsolutePath();
        StringBuilder report = new StringBuilder(Figures.heading("IdleBench (" + a.os() + ", " + seconds + " s idle)",
                "java -cp target/pgha-agent.jar bench/IdleBench.java " + String.join(" ", args)));
        for (LabDrills.Config config : a.configs()) {
            Figures figures = new Figures();
            for (int run = 1; run <= a.runs(); run++) {
                System.err.printf("== %s, run %d of %d%n", config.name(), run, a.runs());
                LabDrills drills = new LabDrills(home, a.os());
                figures.run("run", out -> drills.withLab(config, out, spec -> drills.idle(out, seconds)));
                System.err.print(figures.table());
            }
            report.append('\n').append(config.name()).append('\n').append(figures.table());
        }
        System.out.print(report);
    }
}
