package io.pgha.resources;

import io.pgha.supervise.Command;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Makes sure the packages about to be installed can be found, before the install runs: on Debian the package
 * index is refreshed ({@code apt-get update}, at most once an hour) when a package is unknown; on EL the
 * repositories the platform names must be there, and a repository meant to stay disabled is enabled for that
 * install only. A package that still cannot be found is an error naming the repository to add and how.
 * One instance lives as long as the agent.
 */
public final class PackageSources {
    private static final Duration QUERY_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration UPDATE_TIMEOUT = Duration.ofMinutes(10);
    private static final Duration UPDATE_EVERY = Duration.ofHours(1);

    private final Platform platform;
    private long lastUpdate;
    private boolean updated;

    public PackageSources(Platform platform) {
        this.platform = platform;
    }

    public Platform platform() {
        return platform;
    }

    /** Extra arguments for the install of {@code missing} (dnf's --enablerepo); fails naming what to add. */
    synchronized List<String> prepare(List<String> missing) throws IOException {
        return platform.manager() == PackageManager.APT ? prepareApt(missing) : prepareDnf(missing);
    }

    private List<String> prepareApt(List<String> missing) throws IOException {
        List<String> unknown = unknownToApt(missing);
        if (!unknown.isEmpty() && (!updated || System.nanoTime() - lastUpdate > UPDATE_EVERY.toNanos())) {
            Command.Outcome out = Command.run(List.of("/usr/bin/apt-get", "update", "-q", "-o",
                    "DPkg::Lock::Timeout=600"), PackageManager.APT.environment(), UPDATE_TIMEOUT);
            updated = true;
            lastUpdate = System.nanoTime();
            if (!out.ok()) {
                throw new IOException("apt-get update failed (exit " + out.exitCode() + "): " + out.lastLine());
            }
            unknown = unknownToApt(unknown);
        }
        if (!unknown.isEmpty()) {
            throw new IOException(missingMessage(unknown, "no configured apt source has"));
        }
        return List.of();
    }

    private List<String> unknownToApt(List<String> names) throws IOException {
        List<String> unknown = new ArrayList<>();
        for (String name : names) {
            Command.Outcome out = Command.run(List.of("/usr/bin/apt-cache", "policy", name), QUERY_TIMEOUT);
            if (!out.ok() || !hasAptCandidate(out.output())) {
                unknown.add(name);
            }
        }
        return unknown;
    }

    /** apt-cache policy prints nothing for an unknown package and "Candidate: (none)" for one with no version. */
    static boolean hasAptCandidate(String policy) {
        return policy.lines().map(String::strip).anyMatch(l -> l.startsWith("Candidate:")
                && !l.equals("Candidate: (none)"));
    }

    private List<String> prepareDnf(List<String> missing) throws IOException {
        List<Platform.Repository> needed = platform.needed(missing);
        if (needed.isEmpty()) {
            return List.of();
        }
        Command.Outcome out = Command.run(List.of(platform.manager().binary(), "repolist", "--all", "-q"),
                QUERY_TIMEOUT);
        if (!out.ok()) {
            throw new IOException("dnf repolist failed (exit " + out.exitCode() + "): " + out.lastLine());
        }
        return enableArguments(needed, repositories(out.output()));
    }

    /** Repository id to enabled, from {@code dnf repolist --all}: id first, status last on each line. */
    static Map<String, Boolean> repositories(String repolist) {
        Map<String, Boolean> out = new LinkedHashMap<>();
        for (String line : repolist.lines().map(String::strip).toList()) {
            String[] words = line.split("\\s+");
            if (words.length >= 2 && !words[0].equals("repo")) {
                String status = words[words.length - 1];
                out.put(words[0], status.equals("enabled"));
            }
        }
        return out;
    }

    /** The --enablerepo arguments for the needed repositories; fails for one that is absent or wrongly disabled. */
    static List<String> enableArguments(List<Platform.Repository> needed, Map<String, Boolean> present)
            throws IOException {
        List<String> args = new ArrayList<>();
        for (Platform.Repository r : needed) {
            Boolean enabled = present.get(r.id());
            if (enabled == null) {
                throw new IOException("repository " + r.id() + " is missing (it provides " + r.packages().pattern()
                        + "); add it: " + r.howToAdd());
            }
            if (!enabled && r.enabledOnlyFor()) {
                args.add("--enablerepo=" + r.id());
            } else if (!enabled) {
                throw new IOException("repository " + r.id() + " is disabled (it provides " + r.packages().pattern()
                        + "); enable it: dnf config-manager --set-enabled " + r.id());
            }
        }
        return args;
    }

    private String missingMessage(List<String> unknown, String what) {
        StringBuilder sb = new StringBuilder(what + " " + String.join(", ", unknown) + " (" + platform.description()
                + ")");
        for (Platform.Repository r : platform.needed(unknown)) {
            sb.append("; add repository ").append(r.id()).append(": ").append(r.howToAdd());
        }
        return sb.toString();
    }
}
