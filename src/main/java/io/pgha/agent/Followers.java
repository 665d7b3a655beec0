package io.pgha.agent;

import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.Versioned;
import io.pgha.model.ClusterSecrets;
import io.pgha.model.HostRequest;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The keys the loop follows, each on a {@link KeyFollower} that posts what it reads: the spec always; the secrets and
 * this host's request key while the host is a data host (etcd lets no other host read them).
 */
final class Followers implements AutoCloseable {
    private final Dcs dcs;
    private final String hostName;
    private final EtcdOutage outage;
    private final Consumer<Event> post;
    private KeyFollower<String> spec;
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
            spec = new KeyFollower<>("spec", new KeyFollower.Key<>() {
                @Override
                public Optional<Versioned<String>> read() throws DcsException {
                    return dcs.spec();
                }

                @Override
                public Dcs.Watch watch(long after, Runnable changed, Consumer<DcsException> ended) {
                    return dcs.watchSpec(after, value -> changed.run(), ended);
                }
            }, value -> post.accept(new Event.SpecRead(value)), outage);
        }
    }

    /** Follows the data host's keys, or stops following them. */
    void followDataKeys(boolean dataHost) {
        if (dataHost && secrets == null) {
            secrets = new KeyFollower<>("secrets", new KeyFollower.Key<>() {
                @Override
                public Optional<Versioned<ClusterSecrets>> read() throws DcsException {
                    return dcs.secrets();
                }

                @Override
                public Dcs.Watch watch(long after, Runnable changed, Consumer<DcsException> ended) {
                    return dcs.watchSecrets(after, changed, ended);
                }
            }, value -> post.accept(new Event.SecretsRead(value)), outage);
            request = new KeyFollower<>("request to " + hostName, new KeyFollower.Key<>() {
                @Override
                public Optional<Versioned<HostRequest>> read() throws DcsException {
                    return dcs.request(hostName);
                }

                @Override
                public Dcs.Watch watch(long after, Runnable changed, Consumer<DcsException> ended) {
                    return dcs.watchRequest(hostName, after, changed, ended);
                }
            }, value -> post.accept(new Event.RequestRead(value)), outage);
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
            spec = null;
        }
    }
}
