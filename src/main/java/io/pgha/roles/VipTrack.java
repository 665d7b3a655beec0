package io.pgha.roles;

import io.pgha.model.Health;
import io.pgha.resources.FileResource;
import io.pgha.resources.Owner;
import io.pgha.resources.Result;
import io.pgha.resources.Status;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What keepalived on an lb host is told through its track file (roles/lb/keepalived.conf.tmpl): 0 while this host's
 * HAProxy answers and reaches a data host, {@link #FAULT} otherwise, which makes keepalived stand down so that another
 * lb host takes the floating address at once. A host stands down after two probes in a row found it unfit, so that
 * one probe during HAProxy's reload never moves the address; it offers itself again at the first good probe. While
 * every data host is unreachable from every lb host (the cluster is down) the address goes nowhere, which costs
 * nothing more. Not thread-safe: the prober's.
 */
public final class VipTrack {
    /** Below keepalived's -253 with the file's weight of -1: the FAULT state. */
    public static final int FAULT = 254;
    static final int STRIKES = 2;
    private final Path file;
    private int strikes;

    public VipTrack(Path file) {
        this.file = file;
    }

    /**
     * Records what the last probe of HAProxy found and writes keepalived's file when its word changes. Returns why
     * this host stands down, empty while it may hold the address.
     */
    public Optional<String> update(Health.Haproxy haproxy) throws IOException {
        Optional<String> unfit = unfit(haproxy);
        strikes = unfit.isPresent() ? strikes + 1 : 0;
        if (unfit.isPresent() && strikes < STRIKES) {
            // The file keeps its word (keepalived starts it at FAULT) until the next probe confirms.
            return Optional.empty();
        }
        Result written = FileResource.of(file, (unfit.isPresent() ? FAULT : 0) + "\n", new Owner("root", "root", 0600))
                .apply();
        if (written.status() == Status.FAILED) {
            throw new IOException("cannot write keepalived's track file: " + written.message());
        }
        return unfit;
    }

    /** Why this host should not hold the address: its HAProxy does not answer, or reaches no data host. */
    static Optional<String> unfit(Health.Haproxy haproxy) {
        if (haproxy == null || haproxy.proxies().isEmpty()) {
            return Optional.of("HAProxy not answering");
        }
        if (haproxy.up("primary").isEmpty() && haproxy.up("replicas").isEmpty()) {
            return Optional.of("HAProxy reaches no data host");
        }
        return Optional.empty();
    }
}
