import io.pgha.lab.Figures;
import io.pgha.lab.LabApp;
import io.pgha.lab.LabCtl;
import io.pgha.lab.LabPlan;
import io.pgha.lab.LabWriter;
import io.pgha.lab.WriteLog;
import io.pgha.supervise.Command;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * The pooler as a user meets it: one lab with two lb hosts (`pghactl lab up --lb 2 [--os trixie]`: the floating
 * address and PgBouncer on each), the lab's application role. Per run, a switchover (`pghactl switchover`) under two
 * writers that insert one row every 20 ms through the floating address, one through the pooler (port 6432) and one
 * straight to HAProxy (port 5000): each writer's longest time without an acknowledged write, its failed writes, and
 * acknowledged writes missing afterwards. Then the pooler's overhead on a short transaction (one insert) against
 * HAProxy's port, both through the floating address: on a kept connection, and with a new TLS + SCRAM connection per
 * transaction. A run that fails is counted apart; its figures stay out. Run from the repository root, as root, with no
 * lab up:
 *   mvn -q -B package -DskipTests && java -cp target/pgha-agent.jar bench/PoolerBench.java [runs [os]]
 */
public class PoolerBench {
    static final java.nio.file.Path PGHACTL = java.nio.file.Path.of("daemon/pghactl").toAbsolutePath();
    static final Duration WAIT = Duration.ofMinutes(3);
    static final int POOLER = 6432;
    static final int HAPROXY = 5000;
    static final int KEPT = 2000;
    static final int FRESH = 200;

    final LabPlan plan;
    final String vip;
    final Figures figures = new Figures();
    String appPassword;

    PoolerBench(LabPlan.Os os) {
        plan = LabPlan.standard(3, 2, os);
        vip = plan.vipAddress().orElseThrow();
    }

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        LabPlan.Os os = args.length > 1 ? LabPlan.Os.named(args[1]).orElseThrow() : LabPlan.Os.LOCAL;
        PoolerBench bench = new PoolerBench(os);
        LabCtl.up(PGHACTL, os, Duration.ofMinutes(20), "--lb", "2");
        try {
            bench.appPassword = Files.readString(LabApp.passwordFile(bench.plan)).strip();
            String superuser = LabCtl.run(PGHACTL, bench.plan, Duration.ofMinutes(1), "get", "secret", "superuser")
                    .strip();
            try (Connection c = bench.connect(HAPROXY, "postgres", superuser); Statement s = c.createStatement()) {
                s.execute("create table drill (id bigint primary key, note text)");
                s.execute("grant select, insert on drill to " + LabApp.ROLE);
            }
            for (int run = 1; run <= runs; run++) {
                System.err.printf("== run %d of %d%n", run, runs);
                long first = run * 10_000_000L;
                bench.figures.run("a switchover under writers", r -> bench.switchover(r, first));
                bench.figures.run("a short transaction (ms)", r -> bench.overhead(r, first + 5_000_000L));
            }
        } finally {
            Command.run(List.of(PGHACTL.toString(), "lab", "down"), Duration.ofMinutes(10));
        }
        System.out.print(Figures.heading("PoolerBench (" + os + ")", "java -cp target/pgha-agent.jar"
                + " bench/PoolerBench.java " + runs + (os.booted() ? " " + os.suite() : "")));
        System.out.println();
        System.out.print(bench.figures.table());
    }

    void switchover(Figures.Run run, long firstId) throws Exception {
        WriteLog pooled = new WriteLog();
        WriteLog direct = new WriteLog();
        LabWriter viaPooler = writer(POOLER, firstId, pooled, "pooler").started("via-pooler");
        LabWriter viaHaproxy = writer(HAPROXY, firstId + 1_000_000L, direct, "haproxy").started("via-haproxy");
        long asked;
        long stopped;
        try {
            pooled.awaitAcks(50, WAIT);
            direct.awaitAcks(50, WAIT);
            asked = System.currentTimeMillis();
            String out = LabCtl.run(PGHACTL, plan, WAIT, "switchover");
            System.err.println(out.strip());
            pooled.awaitAcks(pooled.acked().size() + 100, WAIT);
            direct.awaitAcks(direct.acked().size() + 100, WAIT);
        } finally {
            viaPooler.stop();
            viaHaproxy.stop();
            stopped = System.currentTimeMillis();
        }
        run.add("through the pooler: longest write gap (s)", pooled.longestGap(asked, stopped) / 1000.0);
        run.add("through the pooler: failed writes", pooled.failures().size());
        run.add("through the pooler: acknowledged writes lost", lost(pooled, firstId));
        run.add("through HAProxy alone: longest write gap (s)", direct.longestGap(asked, stopped) / 1000.0);
        run.add("through HAProxy alone: failed writes", direct.failures().size());
    }

    void overhead(Figures.Run run, long firstId) throws Exception {
        long id = firstId;
        for (int port : List.of(POOLER, HAPROXY)) {
            String via = port == POOLER ? "through the pooler" : "through HAProxy alone";
            List<Double> kept = new ArrayList<>();
            try (Connection c = connect(port); PreparedStatement insert = c.prepareStatement(
                    "insert into drill (id, note) values (?, 'overhead')")) {
                for (int i = 0; i < KEPT; i++) {
                    long t = System.nanoTime();
                    insert.setLong(1, id++);
                    insert.executeUpdate();
                    kept.add((System.nanoTime() - t) / 1e6);
                }
            }
            run.add(via + ", kept connection: median", median(kept));
            List<Double> fresh = new ArrayList<>();
            for (int i = 0; i < FRESH; i++) {
                long t = System.nanoTime();
                try (Connection c = connect(port); PreparedStatement insert = c.prepareStatement(
                        "insert into drill (id, note) values (?, 'overhead')")) {
                    insert.setLong(1, id++);
                    insert.executeUpdate();
                }
                fresh.add((System.nanoTime() - t) / 1e6);
            }
            run.add(via + ", new connection each: median", median(fresh));
        }
    }

    LabWriter writer(int port, long firstId, WriteLog log, String label) {
        // Each failed write's reason goes to standard error: what a client met during the switchover.
        // Both wait up to 10 s for an answer: the pooler's clients wait out the pause.
        return new LabWriter(vip, port, LabApp.ROLE, appPassword, firstId, 20, WAIT.toMillis() * 2, line -> {
            log.add(line);
            if (!line.contains(" ack ")) {
                System.err.println(label + ": " + line);
            }
        }).waitingUpTo(10);
    }

    long lost(WriteLog log, long firstId) throws Exception {
        Set<Long> lost = new TreeSet<>(log.acked());
        try (Connection c = connect(HAPROXY); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select id from drill where id >= " + firstId + " and id < "
                     + (firstId + 1_000_000L))) {
            while (rs.next()) {
                lost.remove(rs.getLong(1));
            }
        }
        return lost.size();
    }

    static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    /** The lab's application role through the floating address; unnamed statements, as a pooler needs. */
    Connection connect(int port) throws Exception {
        return connect(port, LabApp.ROLE, appPassword);
    }

    Connection connect(int port, String user, String password) throws Exception {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        p.setProperty("sslmode", "require");
        p.setProperty("connectTimeout", "5");
        p.setProperty("prepareThreshold", "0");
        return DriverManager.getConnection("jdbc:postgresql://" + vip + ":" + port + "/postgres", p);
    }
}
