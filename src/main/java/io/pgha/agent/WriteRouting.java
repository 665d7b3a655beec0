package io.pgha.agent;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.Versioned;
import io.pgha.model.ClusterSpec;
import io.pgha.model.Role;
import io.pgha.net.UnixSocketText;
import io.pgha.probe.LeaderLook;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On an lb host: writes reach a new leader the moment it is one, not at HAProxy's next check. HAProxy checks a server
 * it holds down once a second (each check is a TLS handshake with that data host's Patroni), so after a switchover or
 * failover writes failed for up to a second more. Patroni's leader key names the new leader at once: when it changes,
 * this asks that member's Patroni for /primary, as HAProxy's check does, every 50 ms for up to 10 s, and once it
 * answers 200 tells HAProxy through its admin socket: that server up in the primary listen, the others down. HAProxy's
 * own checks go on and have the last word; without this agent they route as before.
 */
final class WriteRouting implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WriteRouting.class);
    static final String LISTEN = "primary";
    static final Duration LOOK_TIMEOUT = Duration.ofMillis(500);
    private static final long LOOK_MILLIS = 50;
    private static final Duration GIVE_UP = Duration.ofSeconds(10);
    private static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(2);

    private final Dcs dcs;
    private final EtcdOutage outage;
    private final Supplier<Optional<ClusterSpec>> spec;
    private final LeaderLook look;
    private final Path socket;
    private final Semaphore changed = new Semaphore(0);
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Optional<Versioned<String>> leaderKey = Optional.empty();
    /** Whether the follower has read the key yet (absent is a value too). */
    private volatile boolean read;
    // Confined to this thread.
    private KeyFollower<String> follower;
    /**
     * The leader key's revision last acted on (0: absent); -1 until the first read, which only says where things
     * stand: a leader already there when this host started following is HAProxy's to find.
     */
    private long handled = -1;

    /** {@code spec}: the spec this host follows while it has the lb role, else empty. */
    WriteRouting(Dcs dcs, EtcdOutage outage, Supplier<Optional<ClusterSpec>> spec, LeaderLook look, Path socket) {
        this.dcs = dcs;
        this.outage = outage;
        this.spec = spec;
        this.look = look;
        this.socket = socket;
        this.thread = new Thread(this::run, "write-routing");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** The admin socket commands that route writes to {@code leader} alone. */
    static List<String> commands(ClusterSpec spec, String leader) {
        List<String> out = new ArrayList<>();
        out.add(health(leader, "up"));
        spec.hostsWith(Role.DATA).stream().map(ClusterSpec.Host::name).filter(h -> !h.equals(leader))
                .forEach(h -> out.add(health(h, "down")));
        return out;
    }

    /** The admin socket command that sets a data host's health ({@code up}, {@code down}) in the primary listen. */
    static String health(String host, String state) {
        return "set server " + LISTEN + "/" + host + " health " + state;
    }

    private void run() {
        try {
            while (running) {
                changed.tryAcquire(1, TimeUnit.SECONDS);
                changed.drainPermits();
                Optional<ClusterSpec> s = spec.get();
                if (s.isEmpty()) {
                    stopFollowing();
                    continue;
                }
                if (follower == null) {
                    follower = new KeyFollower<>("leader key", dcs::leaderKey, dcs::watchLeaderKey, value -> {
                        leaderKey = value;
                        read = true;
                        changed.release();
                    }, outage);
                }
                Optional<Versioned<String>> key = leaderKey;
                long revision = key.map(Versioned::modRevision).orElse(0L);
                if (!read || revision == handled) {
                    continue;
                }
                boolean first = handled == -1;
                handled = revision;
                Optional<ClusterSpec.Host> leader = key.map(k -> s.get().hosts().get(k.value()))
                        .filter(h -> h.has(Role.DATA));
                if (!first && leader.isPresent()) {
                    route(s.get(), leader.get(), revision);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("write routing failed: {}", AgentLoop.describe(e), e);
        } finally {
            stopFollowing();
        }
    }

    /** Waits for {@code leader} to answer /primary (while the key still names it), then tells HAProxy. */
    private void route(ClusterSpec s, ClusterSpec.Host leader, long revision) throws InterruptedException {
        long start = System.nanoTime();
        while (running && !look.primary(leader.address())) {
            if (leaderKey.map(Versioned::modRevision).orElse(0L) != revision) {
                return;
            }
            if (System.nanoTime() - start > GIVE_UP.toNanos()) {
                log.info("writes: new leader {} did not answer /primary within {} s; HAProxy's checks route them",
                        leader.name(), GIVE_UP.toSeconds());
                return;
            }
            Thread.sleep(LOOK_MILLIS);
        }
        List<String> answers = new ArrayList<>();
        try {
            for (String command : commands(s, leader.name())) {
                String answer = UnixSocketText.ask(socket, command, SOCKET_TIMEOUT).strip();
                if (!answer.isEmpty()) {
                    answers.add(command + ": " + answer);
                }
            }
        } catch (IOException e) {
            log.info("writes: HAProxy not told that {} leads: {}; its checks route them", leader.name(),
                    e.getMessage());
            return;
        }
        log.info("writes routed to {}, {} ms after its leader key was seen, through HAProxy's admin socket{}",
                leader.name(), (System.nanoTime() - start) / 1_000_000, answers.isEmpty() ? "" : " (" + answers + ")");
    }

    private void stopFollowing() {
        if (follower != null) {
            follower.close();
            follower = null;
            leaderKey = Optional.empty();
            read = false;
            handled = -1;
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
