package io.pgha.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgha.net.HttpText;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * Patroni's REST API on one member, over https with a certificate of the cluster CA (Patroni answers nobody else):
 * what it says about itself and the cluster, and the few requests we make, which carry the REST password.
 */
public final class PatroniClient implements PatroniApi {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration SLOW = Duration.ofSeconds(60);
    private final HttpText http;
    private final String baseUrl;
    private final java.util.function.Supplier<String> password;
    private final String address;

    /** {@code password}: the secret "patroni_rest", for the unsafe endpoints; empty for a client that only reads. */
    public PatroniClient(String address, int port, Duration timeout, SSLContext tls, String password) {
        this(address, port, timeout, tls, () -> password);
    }

    /** With the password read at each unsafe request (it may be rotated while the client lives). */
    public PatroniClient(String address, int port, Duration timeout, SSLContext tls,
                         java.util.function.Supplier<String> password) {
        this.address = address;
        this.baseUrl = "https://" + address + ":" + port;
        this.http = new HttpText(timeout, tls);
        this.password = password;
    }

    /**
     * This member, from {@code GET /patroni}. Patroni 3.0 says "master" for the leader. {@code postmasterStart} tells
     * one run of Postgres from the next; {@code failsafeActive}: on the leader, it runs on failsafe (etcd unreachable,
     * every member answered); on a replica, a leader on failsafe called it within the last ttl;
     * {@code clusterUnlocked}: Patroni's last view of etcd had no leader key; {@code version}: Patroni's own.
     */
    public record Member(String state, String role, long timeline, boolean pendingRestart, String postmasterStart,
                         boolean failsafeActive, boolean clusterUnlocked, String version, boolean paused) {
        /** A member of a cluster that is not paused. */
        public Member(String state, String role, long timeline, boolean pendingRestart, String postmasterStart,
                      boolean failsafeActive, boolean clusterUnlocked, String version) {
            this(state, role, timeline, pendingRestart, postmasterStart, failsafeActive, clusterUnlocked, version,
                    false);
        }

        public boolean isLeader() {
            return role.equals("master") || role.equals("primary");
        }
    }

    /** A member as {@code GET /cluster} lists it. */
    public record ClusterMember(String name, String role, String state, String host, long timeline, long lagBytes,
                                boolean pendingRestart, boolean noFailover) {
        public boolean isLeader() {
            return role.equals("leader") || role.equals("standby_leader");
        }

        /** A standby a commit waits for: the synchronous one, or (quorum commit, Patroni 4.0+) one of the quorum. */
        public boolean isSynchronous() {
            return role.equals("sync_standby") || role.equals("quorum_standby");
        }

        /** Could take over now: a running replica not tagged nofailover. */
        public boolean canTakeOver() {
            return !isLeader() && !noFailover && state.equals("running");
        }
    }

    /**
     * The replicas that may take over, the synchronous standby first: in synchronous mode Patroni refuses a
     * switchover to any other (HTTP 412), and it is the one that holds every acknowledged write.
     */
    public static List<ClusterMember> takeoverCandidates(List<ClusterMember> members) {
        return members.stream().filter(ClusterMember::canTakeOver)
                .sorted(java.util.Comparator.comparing(m -> !m.isSynchronous())).toList();
    }

    public String address() {
        return address;
    }

    @Override
    public Member member() throws IOException {
        JsonNode n = get("/patroni");
        return new Member(n.path("state").asText(), n.path("role").asText(), n.path("timeline").asLong(),
                n.path("pending_restart").asBoolean(false), n.path("postmaster_start_time").asText(""),
                n.path("failsafe_mode_is_active").asBoolean(false), n.path("cluster_unlocked").asBoolean(false),
                n.path("patroni").path("version").asText(""), n.path("pause").asBoolean(false));
    }

    /**
     * When this member's Patroni last read etcd (epoch seconds; 0 if never): it reads at the start of every cycle,
     * right after taking in a reload it was signalled for.
     */
    public long dcsLastSeen() throws IOException {
        return get("/patroni").path("dcs_last_seen").asLong(0);
    }

    @Override
    public List<ClusterMember> cluster() throws IOException {
        List<ClusterMember> out = new ArrayList<>();
        get("/cluster").path("members").forEach(m -> out.add(new ClusterMember(m.path("name").asText(),
                m.path("role").asText(), memberState(m.path("state").asText()), m.path("host").asText(),
                m.path("timeline").asLong(), m.path("lag").isNumber() ? m.path("lag").asLong() : -1,
                m.path("pending_restart").asBoolean(false), m.path("tags").path("nofailover").asBoolean(false))));
        return out;
    }

    /**
     * Patroni 4 lists a running replica in /cluster by its replication state ("streaming", "in archive recovery")
     * where 3.0 says "running"; /patroni says "running" in both.
     */
    static String memberState(String listed) {
        return listed.equals("streaming") || listed.equals("in archive recovery") ? "running" : listed;
    }

    /**
     * Waits until the cluster lists a running synchronous (or quorum) standby and names it. In synchronous modes
     * Patroni promotes only a standby it recorded in etcd: after a switchover, until the new leader has recorded one,
     * its crash would leave the cluster without a leader.
     */
    public String awaitSynchronousStandby(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String seen = "no answer yet";
        while (System.nanoTime() < deadline) {
            try {
                Optional<ClusterMember> standby = cluster().stream()
                        .filter(m -> m.isSynchronous() && m.state().equals("running")).findFirst();
                if (standby.isPresent()) {
                    return standby.get().name();
                }
                seen = "no member is a synchronous (or quorum) standby";
            } catch (IOException e) {
                seen = e.getMessage();
            }
            Thread.sleep(100);
        }
        throw new IOException("synchronous mode: no synchronous standby recorded within " + timeout.toSeconds()
                + " s (a leader crash now would promote nobody); last seen from " + address + ": " + seen);
    }

    public Optional<ClusterMember> leader() throws IOException {
        return cluster().stream().filter(ClusterMember::isLeader).findFirst();
    }

    /** The dynamic configuration kept in the DCS. */
    public JsonNode config() throws IOException {
        return get("/config");
    }

    /** A JSON merge patch of the dynamic configuration; Patroni applies it cluster-wide. */
    public void patchConfig(ObjectNode patch) throws IOException {
        send("PATCH", "/config", patch, 200, http.timeout());
    }

    @Override
    public void pause(boolean on) throws IOException {
        patchConfig(JSON.createObjectNode().put("pause", on));
    }

    @Override
    public void restart() throws IOException {
        send("POST", "/restart", JSON.createObjectNode(), 200);
    }

    @Override
    public void reload() throws IOException {
        send("POST", "/reload", JSON.createObjectNode(), 202);
    }

    @Override
    public void reinitialize() throws IOException {
        // force: a restart Patroni may be busy with is cancelled rather than refusing the request.
        send("POST", "/reinitialize", JSON.createObjectNode().put("force", true), 200);
    }

    /**
     * Has this replica's Patroni forget the leader a failsafe call named: a nameless leader, as a Patroni that never
     * received one has.
     */
    @Override
    public void forgetFailsafeLeader() throws IOException {
        send("POST", "/failsafe", JSON.createObjectNode().put("name", "").putNull("conn_url").putNull("api_url"), 200);
    }

    @Override
    public String switchover(String leader, String candidate) throws IOException {
        return send("POST", "/switchover", JSON.createObjectNode().put("leader", leader).put("candidate", candidate),
                200);
    }

    /**
     * A manual failover to {@code candidate}, for a cluster without a healthy leader (paused, say): Patroni answers
     * once the candidate leads or its poll gives up.
     */
    public String failover(String candidate) throws IOException {
        return send("POST", "/failover", JSON.createObjectNode().put("candidate", candidate), 200);
    }

    /** One timeline's end as Patroni's history keeps it: the timeline that ended, when, and who leads the next. */
    public record TimelineSwitch(long timeline, long lsn, String at, String newLeader) {
    }

    /** Patroni's history of timeline switches, oldest first. */
    public List<TimelineSwitch> history() throws IOException {
        List<TimelineSwitch> out = new ArrayList<>();
        get("/history").forEach(line -> out.add(new TimelineSwitch(line.path(0).asLong(), line.path(1).asLong(),
                line.path(3).asText(""), line.path(4).asText(""))));
        return out;
    }

    private JsonNode get(String path) throws IOException {
        HttpResponse<String> response = http.get(baseUrl + path);
        // /patroni answers 503 with a body while Postgres is not running; the body is still the answer.
        if (response.statusCode() != 200 && response.statusCode() != 503) {
            throw new IOException("GET " + baseUrl + path + ": HTTP " + response.statusCode() + ": " + response.body());
        }
        return JSON.readTree(response.body());
    }

    /** Patroni answers a restart or a switchover only once it happened: allow it the time. */
    private String send(String method, String path, JsonNode body, int expected) throws IOException {
        return send(method, path, body, expected, http.timeout().compareTo(SLOW) > 0 ? http.timeout() : SLOW);
    }

    private String send(String method, String path, JsonNode body, int expected, Duration timeout)
            throws IOException {
        String secret = password.get();
        if (secret.isEmpty()) {
            throw new IOException(method + " " + baseUrl + path + ": no Patroni REST password (secret patroni_rest)"
                    + " known here yet");
        }
        String authorization = "Basic " + java.util.Base64.getEncoder().encodeToString(
                (PatroniConfig.REST_USER + ":" + secret).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header("Authorization", authorization)
                .method(method, HttpRequest.BodyPublishers.ofString(body.toString())).build();
        HttpResponse<String> response = http.send(request);
        if (response.statusCode() != expected) {
            throw new IOException(method + " " + baseUrl + path + ": HTTP " + response.statusCode() + ": "
                    + response.body().strip());
        }
        return response.body().strip();
    }

}
