package io.pgha.lab;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.Consumer;

/**
 * Inserts rows at a steady rate and reports each event as a line "epochMillis kind detail": {@code ack ID} once a
 * commit returned (an acknowledged write), {@code readonly} when the server is in recovery, {@code down} on errors.
 * Runs as a thread, or as a program inside a host's namespace (password from PGHA_TEST_PASSWORD, never the
 * command line). Bounded: it stops after {@code maxMillis}. Drills and the bench use it; the table is
 * {@code drill (id bigint primary key, note text)}.
 */
public final class LabWriter implements Runnable {
    private final String address;
    private final int port;
    private final String user;
    private final String password;
    private final long firstId;
    private final long intervalMillis;
    private final long maxMillis;
    private final Consumer<String> sink;
    private final int socketTimeoutSeconds;
    private volatile boolean running = true;

    public LabWriter(String address, int port, String password, long firstId, long intervalMillis, long maxMillis,
           Consumer<String> sink) {
        this(address, port, "postgres", password, firstId, intervalMillis, maxMillis, sink);
    }

    /** A writer that logs in as {@code user}: a pooler lets no superuser in. */
    public LabWriter(String address, int port, String user, String password, long firstId, long intervalMillis,
                     long maxMillis, Consumer<String> sink) {
        this(address, port, user, password, firstId, intervalMillis, maxMillis, sink, 3);
    }

    private LabWriter(String address, int port, String user, String password, long firstId, long intervalMillis,
                      long maxMillis, Consumer<String> sink, int socketTimeoutSeconds) {
        this.socketTimeoutSeconds = socketTimeoutSeconds;
        this.address = address;
        this.port = port;
        this.user = user;
        this.password = password;
        this.firstId = firstId;
        this.intervalMillis = intervalMillis;
        this.maxMillis = maxMillis;
        this.sink = sink;
    }

    /**
     * This writer, but waiting up to {@code seconds} for an answer before it counts a write failed (3 s otherwise, to
     * tell a dead server soon): a client of a pooler allows for a switchover's pause.
     */
    public LabWriter waitingUpTo(int seconds) {
        return new LabWriter(address, port, user, password, firstId, intervalMillis, maxMillis, sink, seconds);
    }

    /** This writer, running on a daemon thread of that name (it never holds a JVM up). */
    public LabWriter started(String threadName) {
        Thread thread = new Thread(this, threadName);
        thread.setDaemon(true);
        thread.start();
        return this;
    }

    public void stop() {
        running = false;
    }

    @Override
    public void run() {
        long id = firstId;
        long end = System.currentTimeMillis() + maxMillis;
        Connection c = null;
        while (running && System.currentTimeMillis() < end) {
            long started = System.currentTimeMillis();
            try {
                if (c == null) {
                    c = connect();
                }
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select pg_is_in_recovery()")) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        sink.accept(started + " readonly");
                        close(c);
                        c = null;
                    } else {
                        try (PreparedStatement insert = c.prepareStatement("insert into drill (id, note) values (?, ?)")) {
                            insert.setLong(1, id);
                            insert.setString(2, address);
                            insert.executeUpdate();
                        }
                        sink.accept(System.currentTimeMillis() + " ack " + id);
                        id++;
                    }
                }
            } catch (SQLException e) {
                sink.accept(started + " down " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
                close(c);
                c = null;
                id++;
            }
            long rest = intervalMillis - (System.currentTimeMillis() - started);
            if (rest > 0) {
                try {
                    Thread.sleep(rest);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
        close(c);
    }

    private Connection connect() throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        props.setProperty("connectTimeout", "1");
        props.setProperty("socketTimeout", Integer.toString(socketTimeoutSeconds));
        props.setProperty("ApplicationName", "drill-writer");
        // Unnamed statements only: a pooler in transaction mode may give the next one another server connection.
        props.setProperty("prepareThreshold", "0");
        // The lab's client rules are hostssl: encrypted, as any client must be.
        props.setProperty("sslmode", "require");
        return DriverManager.getConnection("jdbc:postgresql://" + address + ":" + port + "/postgres", props);
    }

    private static void close(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // already broken
            }
        }
    }

    /**
     * Runs a writer as a program inside a host's namespace, writing straight to that host's Postgres (which a
     * partitioned host can reach when nobody else can); its lines go to {@code sink}.
     */
    public static Process startInside(LabNetwork network, LabPlan.Host host, Path jar, String password, long firstId,
                                      long intervalMillis, long maxMillis, Consumer<String> sink) throws IOException {
        List<String> argv = new ArrayList<>(network.inside(host));
        argv.addAll(List.of(ProcessHandle.current().info().command().orElse("java"), "-cp", jar.toString(),
                LabWriter.class.getName(), host.address(), "5432", Long.toString(firstId), Long.toString(intervalMillis),
                Long.toString(maxMillis)));
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        pb.environment().put("PGHA_TEST_PASSWORD", password);
        Process p = pb.start();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                r.lines().forEach(sink);
            } catch (IOException | java.io.UncheckedIOException ended) {
                // the writer ended, or was stopped while a line was being read
            }
        }, "writer-inside-" + host.name());
        reader.setDaemon(true);
        reader.start();
        return p;
    }

    /** args: address port firstId intervalMillis maxMillis. */
    public static void main(String[] args) {
        String password = System.getenv("PGHA_TEST_PASSWORD");
        new LabWriter(args[0], Integer.parseInt(args[1]), password, Long.parseLong(args[2]), Long.parseLong(args[3]),
                Long.parseLong(args[4]), line -> {
                    System.out.println(line);
                    System.out.flush();
                }).run();
    }
}
