package io.pgha.model;

import java.nio.file.Path;

/** Where the agent keeps things on a host; every path lies under agent.yml's {@code paths.root}. */
public record HostPaths(Path root) {

    /** Generated configuration (etcd.yml, patroni.yml, haproxy.cfg). */
    public Path configDir() {
        return under("etc/pgha-agent");
    }

    /** The agent's own state: the cached spec. */
    public Path stateDir() {
        return under("var/lib/pgha-agent");
    }

    /** A supervised program's data, e.g. {@code dataDir("etcd")}. */
    public Path dataDir(String program) {
        return stateDir().resolve(program);
    }

    /** HAProxy's runtime API on an lb host (root and HAProxy's user only). */
    public Path haproxySocket() {
        return dataDir("haproxy").resolve("admin.sock");
    }

    /** The lb host's word to keepalived, which the agent writes and keepalived tracks: may it hold the address. */
    public Path vipTrackFile() {
        return dataDir("keepalived").resolve("health");
    }

    public Path logDir() {
        return under("var/log/pgha-agent");
    }

    /** Pid files: cleared on reboot, when no recorded program can still be running. */
    public Path runDir() {
        return under("run/pgha-agent");
    }

    /** True when the agent manages the host itself rather than a sub-tree of it (the lab). */
    public boolean isRealRoot() {
        return root.equals(Path.of("/"));
    }

    private Path under(String relative) {
        return root.resolve(relative);
    }
}
