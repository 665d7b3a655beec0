package io.pgha.agent;

import io.pgha.supervise.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells systemd (Type=notify) that the agent is ready and what it is doing. Java 17 cannot send to a Unix
 * datagram socket, so systemd-notify sends for us; --pid names the agent, which as root it may.
 * Does nothing outside systemd (no NOTIFY_SOCKET).
 */
public final class SystemdNotifier {
    private static final Logger log = LoggerFactory.getLogger(SystemdNotifier.class);
    private final Optional<String> socket = Optional.ofNullable(System.getenv("NOTIFY_SOCKET"));
    private final String binary = Files.isExecutable(Path.of("/usr/bin/systemd-notify")) ? "/usr/bin/systemd-notify"
            : "/bin/systemd-notify";
    private boolean readySent;
    private String lastStatus = "";

    /** Sends the status line when it changed, and READY=1 the first time {@code ready} holds. */
    public void update(String status, boolean ready) {
        boolean sendReady = ready && !readySent;
        if (socket.isEmpty() || (!sendReady && status.equals(lastStatus))) {
            return;
        }
        List<String> argv = new ArrayList<>(List.of(binary, "--pid=" + ProcessHandle.current().pid()));
        if (sendReady) {
            argv.add("--ready");
        }
        argv.add("--status=" + status);
        try {
            Command.Outcome out = Command.run(argv, Map.of("NOTIFY_SOCKET", socket.get()), Duration.ofSeconds(5));
            if (out.ok()) {
                readySent |= sendReady;
                lastStatus = status;
            } else {
                log.warn("systemd-notify failed: {}", out.lastLine());
            }
        } catch (IOException e) {
            log.warn("systemd-notify failed: {}", e.getMessage());
        }
    }
}
