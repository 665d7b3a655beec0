import io.pgha.lab.Figures;
import io.pgha.lab.LabCtl;
import io.pgha.lab.LabPlan;
import io.pgha.lab.LabWriter;
import io.pgha.lab.WriteLog;
import io.pgha.supervise.Command;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A major upgrade as a user meets it, each run on a fresh lab of booted machines with two majors (`pghactl lab up --os
 * trixie --postgres 15 --backup`: Debian 13's PostgreSQL 17 with Debian 12's 15, synchronous mode): pgbench data of
 * the stated scale loaded through the lb, a writer inserting one row every 20 ms through the lb, then the spec with
 * the new major applied with `pghactl apply --wait`. Per run: the whole apply, the longest write gap the writer saw,
 * how long the cluster ran without a standby (the leader's stop to the replicas streaming again, as pghactl reports
 * it), acknowledged writes missing afterwards. A run that fails is counted apart; its figures stay out.
 * Run from the repository root, as root, with no lab up:
 *   mvn -q -B package -DskipTests && java -cp target/pgha-agent.jar bench/UpgradeBench.java [runs [pgbench-scale]]
 */
public class UpgradeBench {
    static final Path HOME = Path.of("").toAbsolutePath();
    static final Path PGHACTL = HOME.resolve("daemon/pghactl");
    static final Path PGBENCH = Path.of("/usr/lib/postgresql/15/bin/pgbench");
    static final LabPlan.Os OS = LabPlan.Os.TRIXIE;
    static final Pattern DONE = Pattern.compile("writes stopped on \\S+ for ([0-9.]+) s .* no standby for ([0-9.]+) s");

    final int from = OS.postgresVersions().get(0);
    final int to = OS.postgresVersion();
    final LabPlan plan = LabPlan.standard(3, 1, OS).withPostgres(from).withBackupHost(LabPlan.BACKUP_ADDRESS);
    final Figures figures = new Figures();

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int scale = args.length > 1 ? Integer.parseInt(args[1]) : 70;
        UpgradeBench bench = new UpgradeBench();
        for (int run = 1; run <= runs; run++) {
            System.err.printf("== run %d of %d%n", run, runs);
            bench.figures.run("upgrade " + bench.from + " -> " + bench.to, r -> bench.once(r, scale));
        }
        System.out.print(Figures.heading("UpgradeBench (" + OS + ")", "java -cp target/pgha-agent.jar"
                + " bench/UpgradeBench.java " + runs + " " + scale));
        System.out.println();
        System.out.print(bench.figures.table());
    }

    void once(Figures.Run run, int scale) throws Exception {
        Command.Outcome up = Command.run(List.of(PGHACTL.toString(), "lab", "up", "--os", OS.name().toLowerCase(),
                "--postgres", Integer.toString(from), "--backup", "--sync"), Duration.ofMinutes(20));
        if (!up.ok()) {
            throw new IllegalStateException("lab up failed: " + up.lastLine());
        }
        try {
            String password = LabCtl.run(PGHACTL, plan, Duration.ofMinutes(1), "get", "secret", "superuser").strip();
            String lb = plan.host("lb1").address();
            Command.Outcome load = Command.run(List.of(PGBENCH.toString(), "-i", "-q", "-s", Integer.toString(scale),
                    "host=" + lb + " port=5000 user=postgres dbname=postgres sslmode=require"),
                    Map.of("PGPASSWORD", password), Duration.ofMinutes(30));
            if (!load.ok()) {
                throw new IllegalStateException("pgbench -i failed: " + load.lastLine());
            }
            double gib;
            try (Connection c = connect(lb, password); Statement s = c.createStatement()) {
                s.execute("create table drill (id bigint primary key, note text)");
                try (ResultSet rs = s.executeQuery("select pg_database_size('postgres')")) {
                    rs.next();
                    gib = rs.getLong(1) / (1024.0 * 1024 * 1024);
                }
            }
            run.add("database size (GiB)", gib);
            Path spec = Files.createTempFile("upgrade", ".yml");
            Files.writeString(spec, Files.readString(Path.of("/var/lib/pgha-lab/cluster.yml"))
                    .replace("version: " + from, "version: " + to));
            WriteLog log = new WriteLog();
            LabWriter writer = new LabWriter(lb, 5000, password, 1, 20, Duration.ofMinutes(30).toMillis(), log::add)
                    .started("writer");
            long start = System.currentTimeMillis();
            String out;
            try {
                Thread.sleep(3000);
                out = LabCtl.run(PGHACTL, plan, Duration.ofMinutes(30), "apply", "-f", spec.toString(), "--wait",
                        "--timeout", "1800");
                run.add("pghactl apply --wait, whole upgrade (s)", (System.currentTimeMillis() - start) / 1000.0);
                long after = log.acked().size();
                long deadline = System.currentTimeMillis() + 60_000;
                while (log.acked().size() < after + 50 && System.currentTimeMillis() < deadline) {
                    Thread.sleep(100);
                }
            } finally {
                writer.stop();
                Files.deleteIfExists(spec);
            }
            System.err.println(out);
            Matcher m = DONE.matcher(out);
            if (!m.find()) {
                throw new IllegalStateException("pghactl apply did not report the upgrade: " + out);
            }
            run.add("longest write gap through the lb (s)", log.longestGap(start + 3000, System.currentTimeMillis())
                    / 1000.0);
            run.add("writes stopped on the leader, as its status saw it (s)", Double.parseDouble(m.group(1)));
            run.add("the cluster without a standby (s)", Double.parseDouble(m.group(2)));
            Set<Long> acked = log.acked();
            Set<Long> present = new TreeSet<>();
            try (Connection c = connect(lb, password); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("select id from drill")) {
                while (rs.next()) {
                    present.add(rs.getLong(1));
                }
            }
            Set<Long> lost = new TreeSet<>(acked);
            lost.removeAll(present);
            run.add("acknowledged writes", acked.size());
            run.add("acknowledged writes lost", lost.size());
        } finally {
            Command.run(List.of(PGHACTL.toString(), "lab", "down"), Duration.ofMinutes(10));
        }
    }

    static Connection connect(String address, String password) throws Exception {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("password", password);
        p.setProperty("sslmode", "require");
        p.setProperty("connectTimeout", "5");
        return DriverManager.getConnection("jdbc:postgresql://" + address + ":5000/postgres", p);
    }
}
