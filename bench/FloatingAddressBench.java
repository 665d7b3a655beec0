import io.pgha.lab.Figures;
import io.pgha.lab.LabCtl;
import io.pgha.lab.LabPlan;
import io.pgha.lab.LabWriter;
import io.pgha.lab.WriteLog;
import io.pgha.supervise.Command;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The floating address as a user meets it: one lab with two lb hosts (`pghactl lab up --lb 2 [--os trixie]`), a writer
 * inserting one row every 20 ms through the address, and per run the holder named by `pghactl status` losing its
 * power (`pghactl lab kill`). Per run: the longest time the writer went without an acknowledged write, acknowledged
 * writes missing afterwards; then the killed host boots again (`pghactl lab start`) and the run counts whether the
 * address moved back to it (it should not: a move breaks the sessions through the holder). A run that fails is
 * counted apart; its figures stay out. Run from the repository root, as root, with no lab up:
 *   mvn -q -B package -DskipTests && java -cp target/pgha-agent.jar bench/FloatingAddressBench.java [runs [os]]
 */
public class FloatingAddressBench {
    static final java.nio.file.Path PGHACTL = java.nio.file.Path.of("daemon/pghactl").toAbsolutePath();
    static final Pattern HOLDER = Pattern.compile("floating address \\S+: held by (\\S+)$", Pattern.MULTILINE);
    static final Duration WAIT = Duration.ofMinutes(3);

    final LabPlan plan;
    final String vip;
    final Figures figures = new Figures();
    String password;

    FloatingAddressBench(LabPlan.Os os) {
        plan = LabPlan.standard(3, 2, os);
        vip = plan.vipAddress().orElseThrow();
    }

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        LabPlan.Os os = args.length > 1 ? LabPlan.Os.named(args[1]).orElseThrow() : LabPlan.Os.LOCAL;
        FloatingAddressBench bench = new FloatingAddressBench(os);
        LabCtl.up(PGHACTL, os, Duration.ofMinutes(20), "--lb", "2");
        try {
            bench.password = LabCtl.run(PGHACTL, bench.plan, Duration.ofMinutes(1), "get", "secret", "superuser")
                    .strip();
            try (Connection c = bench.connect(); Statement s = c.createStatement()) {
                s.execute("create table drill (id bigint primary key, note text)");
            }
            for (int run = 1; run <= runs; run++) {
                System.err.printf("== run %d of %d%n", run, runs);
                int first = run * 1_000_000;
                bench.figures.run("the holding lb host's power loss", r -> bench.once(r, first));
            }
        } finally {
            Command.run(List.of(PGHACTL.toString(), "lab", "down"), Duration.ofMinutes(10));
        }
        System.out.print(Figures.heading("FloatingAddressBench (" + os + ")", "java -cp target/pgha-agent.jar"
                + " bench/FloatingAddressBench.java " + runs + (os.booted() ? " " + os.suite() : "")));
        System.out.println();
        System.out.print(bench.figures.table());
    }

    void once(Figures.Run run, long firstId) throws Exception {
        String holder = holder();
        WriteLog log = new WriteLog();
        // Each failed write's reason goes to standard error: what a client met while the address moved.
        LabWriter writer = new LabWriter(vip, 5000, password, firstId, 20, WAIT.toMillis() * 2, line -> {
            log.add(line);
            if (!line.contains(" ack ")) {
                System.err.println(line);
            }
        }).started("writer");
        long killed;
        long stopped;
        try {
            log.awaitAcks(50, WAIT);
            killed = System.currentTimeMillis();
            LabCtl.run(PGHACTL, plan, WAIT, "lab", "kill", holder);
            System.err.printf("%d %s killed (asked at %d)%n", System.currentTimeMillis(), holder, killed);
            log.awaitAcks(log.acked().size() + 100, WAIT);
        } finally {
            writer.stop();
            stopped = System.currentTimeMillis();
        }
        String other = holder();
        if (other.equals(holder)) {
            throw new IllegalStateException("pghactl status still names " + holder + " after its power loss");
        }
        run.add("longest write gap through the address (s)", log.longestGap(killed, stopped) / 1000.0);
        Set<Long> lost = new TreeSet<>(log.acked());
        try (Connection c = connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select id from drill where id >= " + firstId)) {
            while (rs.next()) {
                lost.remove(rs.getLong(1));
            }
        }
        run.add("acknowledged writes", log.acked().size());
        run.add("acknowledged writes lost", lost.size());
        LabCtl.run(PGHACTL, plan, WAIT, "lab", "start", holder);
        long deadline = System.nanoTime() + WAIT.toNanos();
        String line = "";
        while (!line.contains("vip-standby") && System.nanoTime() < deadline) {
            Thread.sleep(1000);
            line = LabCtl.run(PGHACTL, plan, WAIT, "status").lines().filter(l -> l.startsWith(holder + " "))
                    .findFirst().orElse("");
        }
        if (!line.contains("vip-standby")) {
            throw new IllegalStateException(holder + " did not come back standing by: " + line);
        }
        run.add("address moved back to the returning host (count)", holder().equals(holder) ? 1 : 0);
    }

    /** The holder as `pghactl status` names it, once exactly one lb host says it holds the address. */
    String holder() throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        String out = "";
        while (System.nanoTime() < deadline) {
            out = LabCtl.run(PGHACTL, plan, WAIT, "status");
            Matcher m = HOLDER.matcher(out);
            if (m.find()) {
                return m.group(1);
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("pghactl status names no single holder: " + out);
    }

    Connection connect() throws Exception {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("password", password);
        p.setProperty("sslmode", "require");
        p.setProperty("connectTimeout", "5");
        return DriverManager.getConnection("jdbc:postgresql://" + vip + ":5000/postgres", p);
    }
}
