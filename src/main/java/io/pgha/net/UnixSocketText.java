package io.pgha.net;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One command line to a local program's Unix socket (HAProxy's CLI) and its whole answer, read until the program
 * closes the connection; the exchange as a whole has a deadline.
 */
public final class UnixSocketText {
    private UnixSocketText() {
    }

    public static String ask(Path socket, String command, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
             Selector selector = Selector.open()) {
            // Connecting to a Unix socket does not wait for the program: it fails at once or is queued.
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.configureBlocking(false);
            ByteBuffer out = ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.UTF_8));
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            ByteBuffer in = ByteBuffer.allocate(8192);
            SelectionKey key = channel.register(selector, SelectionKey.OP_WRITE);
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IOException("no whole answer to '" + command + "' on " + socket + " within "
                            + timeout.toMillis() + " ms (" + answer.size() + " bytes read)");
                }
                if (selector.select(Math.max(1, left / 1_000_000)) == 0) {
                    continue;
                }
                if (key.isWritable() && out.hasRemaining()) {
                    channel.write(out);
                    if (!out.hasRemaining()) {
                        key.interestOps(SelectionKey.OP_READ);
                    }
                } else if (key.isReadable()) {
                    int n = channel.read(in.clear());
                    if (n < 0) {
                        return answer.toString(StandardCharsets.UTF_8);
                    }
                    answer.write(in.array(), 0, n);
                }
                selector.selectedKeys().clear();
            }
        } catch (IOException e) {
            throw e.getMessage() != null && e.getMessage().contains(socket.toString()) ? e
                    : new IOException("'" + command + "' on " + socket + ": " + e, e);
        }
    }
}
