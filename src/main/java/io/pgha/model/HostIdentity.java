package io.pgha.model;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** This host's name and address, from agent.yml or worked out from the machine. */
public record HostIdentity(String name, String address) {

    /**
     * Address: agent.yml's, else the local address the kernel would use to reach the first etcd member (a UDP
     * connect sends nothing). Name: agent.yml's, else the etcd member name at this address, else the hostname.
     */
    public static HostIdentity resolve(AgentConfig config) throws IOException {
        String address = config.hostAddress().isPresent() ? config.hostAddress().get() : routeAddress(config);
        Optional<String> member = config.memberAt(address);
        String name = config.hostName().isPresent() ? config.hostName().get()
                : member.isPresent() ? member.get() : shortHostname();
        String problem = Values.checkName(name);
        if (problem != null) {
            throw new IOException("host name '" + name + "' is unusable (" + problem + "): set host.name in agent.yml");
        }
        return new HostIdentity(name, address);
    }

    private static String routeAddress(AgentConfig config) throws IOException {
        String first = config.members().values().iterator().next();
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.connect(new InetSocketAddress(InetAddress.getByName(first), config.peerPort()));
            InetAddress local = socket.getLocalAddress();
            if (local == null || local.isAnyLocalAddress()) {
                throw new IOException("no route to etcd member " + first + ": set host.address in agent.yml");
            }
            return local.getHostAddress();
        }
    }

    /** The kernel's hostname: no name service involved, which may not resolve it (or may not be there at all). */
    private static String shortHostname() throws IOException {
        String name = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip().toLowerCase();
        int dot = name.indexOf('.');
        return dot < 0 ? name : name.substring(0, dot);
    }
}
