package io.pgha.agent;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.HostRequest;
import io.pgha.model.Maintenance;
import io.pgha.model.RevokedHosts;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys the loop follows, each on a {@link KeyFollower} that posts what it reads: the spec and the maintenance key
 * always; the secrets, this host's request key and the revoked hosts while the host is a data host (etcd lets no
 * other host read them).
 */
final class Followers implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Followers.class);
    private final Dcs dcs;
    private final String hostName;
    private final EtcdOutage outage;
    private final Consumer<Event> post;
    private KeyFollower<String> spec;
    private KeyFollower<Maintenance> maintenance;
    private KeyFollower<ClusterSecrets> secrets;
    private KeyFollower<HostRequest> request;
    private KeyFollower<RevokedHosts> revoked;

    Followers(Dcs dcs, String hostName, EtcdOutage outage, Consumer<Event> post) {
        this.dcs = dcs;
        this.hostName = hostName;
        this.outage = outage;
        this.post = post;
    }

    void followSpec() {
        if (spec == null) {
            spec = new KeyFollower<>("spec", dcs::spec,
                    (after, changed, ended) -> dcs.watchSpec(after, value -> changed.run(), ended),
                    value -> post.accept(new Event.SpecRead(value)), outage);
            // Until the first apply by a newer pghactl grants the key, etcd refuses it to an upgraded agent: no pause
            // can have been written then either. The refusal must not make the host look refused (the spec
            // follower says that), hence an outage record of its own.
            maintenance = new KeyFollower<>("maintenance", grantPending("the maintenance key",
                    "taking the cluster as not paused", dcs::maintenance), dcs::watchMaintenance,
                    value -> post.accept(new Event.MaintenanceRead(value)), new EtcdOutage());
        }
    }

    /**
     * {@code read}, where an agent upgraded before the next pghactl apply (which grants the key) is refused for a
     * while: taken as absent ({@code meaning}), said once.
     */
    private static <T> KeyFollower.Read<T> grantPending(String what, String meaning, KeyFollower.Read<T> read) {
        java.util.concurrent.atomic.AtomicBoolean said = new java.util.concurrent.atomic.AtomicBoolean();
        return () -> {
            try {
                return read.read();
            } catch (DcsException.Refused e) {
                if (said.compareAndSet(false, true)) {
                    log.warn("etcd refuses this agent {} (granted by the next pghactl apply); {}: {}", what, meaning,
                            e.getMessage());
                }
                return Optional.empty();
            }
        };
    }

    /** Follows the data host's keys, or stops following them. */
    void followDataKeys(boolean dataHost) {
        if (dataHost && secrets == null) {
            secrets = new KeyFollower<>("secrets", dcs::secrets, dcs::watchSecrets,
                    value -> post.accept(new Event.SecretsRead(value)), outage);
            request = new KeyFollower<>("request to " + hostName, () -> dcs.request(hostName),
                    (after, changed, ended) -> dcs.watchRequest(hostName, after, changed, ended),
                    value -> post.accept(new Event.RequestRead(value)), outage);
            // As the maintenance key: an agent upgraded before the next apply is refused it for a while.
            revoked = new KeyFollower<>("revoked hosts", grantPending("the revoked hosts",
                    "taking none as revoked", dcs::revoked), dcs::watchRevoked,
                    value -> post.accept(new Event.RevokedRead(value)), new EtcdOutage());
        } else if (!dataHost && secrets != null) {
            closeDataKeys();
        }
    }

    private void closeDataKeys() {
        if (secrets != null) {
            secrets.close();
            request.close();
            revoked.close();
            secrets = null;
            request = null;
            revoked = null;
        }
    }

    @Override
    public void close() {
        closeDataKeys();
        if (spec != null) {
            spec.close();
            maintenance.close();
            spec = null;
            maintenance = null;
        }
    }
}
