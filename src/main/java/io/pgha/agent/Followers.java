package io.pgha.agent;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.Versioned;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.HostRequest;
import io.pgha.model.Maintenance;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys the loop follows, each on a {@link KeyFollower} that posts what it reads: the spec and the maintenance key
 * always; the secrets and this host's request key while the host is a data host (etcd lets no other host read them).
 */
final class Followers implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Followers.class);
    private final Dcs dcs;
    private final String hostName;
    private final EtcdOutage outage;
    private final Consumer<Event> post;
    private KeyFollower<String> spec;
    private KeyFollower<Maintenance> maintenance;
    private volatile boolean maintenanceRefused;
    private KeyFollower<ClusterSecrets> secrets;
    private KeyFollower<HostRequest> request;

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
            maintenance = new KeyFollower<>("maintenance", this::maintenance, dcs::watchMaintenance,
                    value -> post.accept(new Event.MaintenanceRead(value)), new EtcdOutage());
        }
    }

    private Optional<Versioned<Maintenance>> maintenance() throws DcsException {
        try {
            return dcs.maintenance();
        } catch (DcsException.Refused e) {
            if (!maintenanceRefused) {
                log.warn("etcd refuses this agent the maintenance key (granted by the next pghactl apply or pause);"
                        + " taking the cluster as not paused: {}", e.getMessage());
                maintenanceRefused = true;
            }
            return Optional.empty();
        }
    }

    /** Follows the data host's keys, or stops following them. */
    void followDataKeys(boolean dataHost) {
        if (dataHost && secrets == null) {
            secrets = new KeyFollower<>("secrets", dcs::secrets, dcs::watchSecrets,
                    value -> post.accept(new Event.SecretsRead(value)), outage);
            request = new KeyFollower<>("request to " + hostName, () -> dcs.request(hostName),
                    (after, changed, ended) -> dcs.watchRequest(hostName, after, changed, ended),
                    value -> post.accept(new Event.RequestRead(value)), outage);
        } else if (!dataHost && secrets != null) {
            closeDataKeys();
        }
    }

    private void closeDataKeys() {
        if (secrets != null) {
            secrets.close();
            request.close();
            secrets = null;
            request = null;
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
