package io.pgha.lab;

import io.pgha.supervise.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The lab's wires: a bridge on the machine, and per host a namespace with a veth into the bridge. Traffic stays on
 * 10.77.0.0/16: namespaces get no default route, and a low-priority blackhole keeps the subnet from leaking out.
 */
public final class LabNetwork {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final String BLACKHOLE = "10.77.0.0/16";
    /** iproute2's ip: /usr/sbin on EL, /usr/bin on Debian (with a /usr/sbin link on some releases). */
    private static final String IP = Files.isExecutable(Path.of("/usr/sbin/ip")) ? "/usr/sbin/ip" : "/usr/bin/ip";

    private final LabPlan plan;
    private final String bridgeCidr;
    private final String prefixLength;

    public LabNetwork(LabPlan plan) {
        this.plan = plan;
        this.bridgeCidr = plan.network().orElseThrow(() -> new IllegalArgumentException("this lab has no network"));
        this.prefixLength = bridgeCidr.substring(bridgeCidr.indexOf('/') + 1);
    }

    public boolean exists() throws IOException {
        return run(List.of("ip", "link", "show", plan.bridge())).ok();
    }

    public void up() throws IOException {
        must(List.of("ip", "link", "add", plan.bridge(), "type", "bridge"));
        must(List.of("ip", "addr", "add", bridgeCidr, "dev", plan.bridge()));
        must(List.of("ip", "link", "set", plan.bridge(), "up"));
        if (!run(List.of("ip", "route", "show", "type", "blackhole", BLACKHOLE)).output().contains(BLACKHOLE)) {
            must(List.of("ip", "route", "add", "blackhole", BLACKHOLE, "metric", "4000"));
        }
        for (LabPlan.Host host : plan.hosts()) {
            String ns = plan.namespace(host);
            String veth = plan.veth(host);
            must(List.of("ip", "netns", "add", ns));
            must(List.of("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns));
            must(List.of("ip", "link", "set", veth, "master", plan.bridge(), "up"));
            must(List.of("ip", "-n", ns, "addr", "add", host.address() + "/" + prefixLength, "dev", "eth0"));
            must(List.of("ip", "-n", ns, "link", "set", "eth0", "up"));
            must(List.of("ip", "-n", ns, "link", "set", "lo", "up"));
        }
    }

    /** Cuts a host off the network (its link goes down), as a partition drill does. */
    public void cut(LabPlan.Host host) throws IOException {
        must(List.of("ip", "link", "set", plan.veth(host), "down"));
    }

    /**
     * Takes an address off a host's interface if it has it: what a power loss does to an address keepalived added,
     * which the namespace of a killed host would otherwise keep answering for.
     */
    public void dropAddress(LabPlan.Host host, String cidr) throws IOException {
        if (hasAddress(host, cidr.substring(0, cidr.indexOf('/')))) {
            must(List.of("ip", "-n", plan.namespace(host), "addr", "del", cidr, "dev", "eth0"));
        }
    }

    /** Whether a host's namespace has an address (on any interface), as its kernel says. */
    public boolean hasAddress(LabPlan.Host host, String address) throws IOException {
        return run(List.of("ip", "-n", plan.namespace(host), "-br", "addr")).output().contains(" " + address + "/");
    }

    public void heal(LabPlan.Host host) throws IOException {
        must(List.of("ip", "link", "set", plan.veth(host), "up"));
    }

    /** Pids of every process inside a host's namespace. */
    public List<Long> pids(LabPlan.Host host) throws IOException {
        List<Long> pids = new ArrayList<>();
        Command.Outcome out = run(List.of("ip", "netns", "pids", plan.namespace(host)));
        if (out.ok()) {
            out.output().lines().filter(l -> l.matches("\\d+")).forEach(l -> pids.add(Long.parseLong(l)));
        }
        return pids;
    }

    /**
     * Removes namespaces, veths and the bridge; the blackhole route goes with the last lab. Tolerates pieces that
     * are already gone, so it also cleans up after a half-made lab.
     */
    public void down() throws IOException {
        for (LabPlan.Host host : plan.hosts()) {
            run(List.of("ip", "link", "del", plan.veth(host)));
            run(List.of("ip", "netns", "del", plan.namespace(host)));
        }
        run(List.of("ip", "link", "del", plan.bridge()));
        boolean otherLab = run(List.of("ip", "-br", "link", "show", "type", "bridge")).output().lines()
                .anyMatch(l -> l.contains("-br0"));
        if (!otherLab) {
            run(List.of("ip", "route", "del", "blackhole", BLACKHOLE));
        }
    }

    /** The argv prefix that runs a program inside a host's namespace. */
    public List<String> inside(LabPlan.Host host) {
        return List.of(IP, "netns", "exec", plan.namespace(host));
    }

    private static Command.Outcome run(List<String> argv) throws IOException {
        List<String> full = new ArrayList<>(argv);
        full.set(0, IP);
        return Command.run(full, TIMEOUT);
    }

    private static void must(List<String> argv) throws IOException {
        Command.Outcome out = run(argv);
        if (!out.ok()) {
            throw new IOException(String.join(" ", argv) + " failed (exit " + out.exitCode() + "): " + out.lastLine());
        }
    }
}
