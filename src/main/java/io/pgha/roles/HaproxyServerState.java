package io.pgha.roles;

import io.pgha.net.UnixSocketText;
import io.pgha.resources.FileResource;
import io.pgha.resources.Owner;
import io.pgha.resources.Result;
import io.pgha.resources.Status;
import io.pgha.supervise.ProgramSteps;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Saves HAProxy's server states (its CLI's {@code show servers state}) into the file its next generation loads at
 * start ({@code server-state-file}). Without it, a reload starts every server UP until its first check: for those
 * milliseconds the writes port routes new connections to replicas, and the failed check then cuts them.
 *
 * <p>HAProxy also takes a server's address and ports from that file over its configuration's: only servers that the
 * new configuration has at the same address and ports keep their state; the others start afresh. A fresh start (the
 * first, after a crash, after a reboot) takes nothing: states saved days ago could name an old leader UP.
 *
 * @param servers each server of the new configuration by name, as "address port check-port"
 */
record HaproxyServerState(Path socket, Path stateFile, Owner owner, Map<String, String> servers)
        implements ProgramSteps {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    HaproxyServerState {
        servers = Map.copyOf(servers);
    }

    /** The format's version and no server: HAProxy starts every server as without a file, and warns of nothing. */
    @Override
    public void beforeStart() throws IOException {
        write("1\n");
    }

    @Override
    public void beforeReload() throws IOException {
        write(kept(UnixSocketText.ask(socket, "show servers state", TIMEOUT), servers, socket));
    }

    private void write(String state) throws IOException {
        Result written = FileResource.of(stateFile, state, owner).checkApply(true);
        if (written.status() == Status.FAILED) {
            throw new IOException(written.message());
        }
    }

    /** The state file's lines for the servers whose address and ports stay. */
    static String kept(String state, Map<String, String> servers, Path socket) throws IOException {
        List<String> lines = state.lines().toList();
        // The format's version, then the columns; anything else (an error text) would make HAProxy ignore the file.
        if (lines.size() < 2 || !lines.get(0).equals("1") || !lines.get(1).startsWith("# ")) {
            throw new IOException("HAProxy's 'show servers state' on " + socket + " answered \""
                    + lines.stream().findFirst().orElse("") + "\", expected the state file format 1");
        }
        List<String> columns = List.of(lines.get(1).substring(2).split(" "));
        int name = columns.indexOf("srv_name");
        int address = columns.indexOf("srv_addr");
        int port = columns.indexOf("srv_port");
        int checkPort = columns.indexOf("srv_check_port");
        if (name < 0 || address < 0 || port < 0 || checkPort < 0) {
            throw new IOException("HAProxy's server states on " + socket + " lack srv_name, srv_addr, srv_port or"
                    + " srv_check_port: " + lines.get(1));
        }
        List<String> out = new ArrayList<>(lines.subList(0, 2));
        for (String line : lines.subList(2, lines.size())) {
            String[] f = line.split(" ");
            if (f.length == columns.size()
                    && (f[address] + " " + f[port] + " " + f[checkPort]).equals(servers.get(f[name]))) {
                out.add(line);
            }
        }
        return String.join("\n", out) + "\n";
    }
}
