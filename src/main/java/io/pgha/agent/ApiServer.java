package io.pgha.agent;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OptionalSslHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.pgha.tls.ClusterFiles;
import io.pgha.tls.TlsFiles;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * The agent's HTTP endpoint, one small event loop: /health and /metrics over plain http or https, for
 * anyone (health checks and Prometheus); /status only over https with a client certificate of the cluster CA (an
 * agent's or pghactl's), since it names files, endpoints and errors of the host. One port serves both: the first
 * bytes of a connection tell TLS from plain http. /logs, which may show what users typed, only with pghactl's admin
 * certificate, and off the event loop: reading a log must not hold up /health. POST /certificates (https only, off the
 * loop too): another host's certificate order, which an etcd host's agent signs.
 */
public final class ApiServer implements AutoCloseable {

    /** What the agent answers; called on the event loop, so each must be quick and not block. */
    public interface Endpoints {
        Response health();

        Response status();

        Response metrics();

        /** The last {@code lines} of {@code program}'s log; may read files and run journalctl (called off the loop). */
        Response logs(String program, int lines);

        /**
         * Another host's certificate order ({@code order}, JSON), over https; {@code peerUser} is the common name of
         * the client certificate it came with (empty without one), {@code peer} the connection's remote address.
         * Asks etcd: called off the loop. The answer may come later (an order held for a spec that allows it).
         */
        CompletableFuture<Response> certificates(String order, String peerUser, String peer);
    }

    public record Response(int code, String contentType, String body) {
    }

    private final EventLoopGroup group;
    private final java.util.concurrent.ExecutorService slow = java.util.concurrent.Executors.newSingleThreadExecutor(
            r -> {
                Thread t = new Thread(r, "api-logs");
                t.setDaemon(true);
                return t;
            });
    private final Channel channel;

    /**
     * The server's TLS: this host's certificate (renewals taken in without a restart) and the cluster CA, which a
     * client certificate must chain to.
     */
    public static SslContext tls(TlsFiles files) throws IOException {
        return SslContextBuilder.forServer(files.keyManager()).trustManager(files.trustManager())
                .clientAuth(ClientAuth.OPTIONAL).protocols("TLSv1.3", "TLSv1.2").build();
    }

    /** {@code tls}: without it, plain http only, and /status is refused. */
    public ApiServer(InetSocketAddress listen, Endpoints endpoints, Optional<SslContext> tls)
            throws IOException, InterruptedException {
        this.group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            this.channel = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            tls.ifPresent(t -> ch.pipeline().addLast(new OptionalSslHandler(t)));
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(16 * 1024),
                                    new Handler(endpoints, slow));
                        }
                    }).bind(listen).sync().channel();
        } catch (InterruptedException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            slow.shutdownNow();
            throw e;
        } catch (Exception e) {
            // Netty rethrows the bind's own exception (a checked BindException) without declaring it.
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            slow.shutdownNow();
            throw new IOException(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage(), e);
        }
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
        slow.shutdownNow();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private static final Response STATUS_REFUSED = new Response(403, "text/plain; charset=utf-8",
                "/status needs https with a client certificate of the cluster CA (pghactl's admin.crt, an agent's"
                        + " host certificate); /health and /metrics need none\n");
        private static final Response LOGS_REFUSED = new Response(403, "text/plain; charset=utf-8",
                "/logs needs https with pghactl's admin certificate (pghactl logs)\n");
        private final Endpoints endpoints;
        private final java.util.concurrent.Executor slow;

        Handler(Endpoints endpoints, java.util.concurrent.Executor slow) {
            this.endpoints = endpoints;
            this.slow = slow;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            Response response;
            QueryStringDecoder uri = new QueryStringDecoder(request.uri());
            boolean head = request.method().equals(HttpMethod.HEAD);
            if (uri.path().equals("/certificates")) {
                if (!request.method().equals(HttpMethod.POST)) {
                    response = new Response(405, "text/plain; charset=utf-8", "/certificates: only POST\n");
                } else if (ctx.pipeline().get(SslHandler.class) == null) {
                    response = new Response(403, "text/plain; charset=utf-8", "/certificates: only over https\n");
                } else {
                    String order = request.content().toString(StandardCharsets.UTF_8);
                    String peerUser = commonName(ctx);
                    String peer = ctx.channel().remoteAddress() instanceof InetSocketAddress a
                            ? a.getAddress().getHostAddress() : String.valueOf(ctx.channel().remoteAddress());
                    slow.execute(() -> certificates(order, peerUser, peer).thenAccept(r -> respond(ctx, false, r)));
                    return;
                }
            } else if (!request.method().equals(HttpMethod.GET) && !head) {
                response = new Response(405, "text/plain; charset=utf-8", "only GET\n");
            } else if (uri.path().equals("/logs") && adminCertificate(ctx)) {
                String program = uri.parameters().getOrDefault("program", List.of("")).get(0);
                String lines = uri.parameters().getOrDefault("lines", List.of("100")).get(0);
                slow.execute(() -> respond(ctx, head, logs(program, lines)));
                return;
            } else {
                response = switch (uri.path()) {
                    case "/health" -> endpoints.health();
                    case "/status" -> clusterCertificate(ctx) ? endpoints.status() : STATUS_REFUSED;
                    case "/metrics" -> endpoints.metrics();
                    case "/logs" -> LOGS_REFUSED;
                    default -> new Response(404, "text/plain; charset=utf-8",
                            "not found: try /health, /status, /metrics or /logs\n");
                };
            }
            respond(ctx, head, response);
        }

        private CompletableFuture<Response> certificates(String order, String peerUser, String peer) {
            java.util.function.Function<Throwable, Response> failed = e -> new Response(500,
                    "text/plain; charset=utf-8", e + "\n");
            try {
                return endpoints.certificates(order, peerUser, peer).exceptionally(failed);
            } catch (RuntimeException e) {
                return CompletableFuture.completedFuture(failed.apply(e));
            }
        }

        private Response logs(String program, String lines) {
            try {
                return endpoints.logs(program, Integer.parseInt(lines));
            } catch (NumberFormatException e) {
                return new Response(400, "text/plain; charset=utf-8", "lines: expected a whole number, found '"
                        + lines.replaceAll("[^ -~]", "?") + "'\n");
            } catch (RuntimeException e) {
                return new Response(500, "text/plain; charset=utf-8", e + "\n");
            }
        }

        private static void respond(ChannelHandlerContext ctx, boolean head, Response response) {
            byte[] body = response.body().getBytes(StandardCharsets.UTF_8);
            FullHttpResponse out = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(response.code()),
                    head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
            out.headers().set(HttpHeaderNames.CONTENT_TYPE, response.contentType());
            out.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
            // Said, not only done: a client that pools connections would otherwise send its next request into one
            // this side has closed, and read nothing back.
            out.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
        }

        /** As {@link #clusterCertificate}, and the certificate is pghactl's: its common name is the admin's. */
        private static boolean adminCertificate(ChannelHandlerContext ctx) {
            return ClusterFiles.ADMIN.equals(commonName(ctx));
        }

        /** The common name of the client certificate the cluster CA signed (checked then); empty without one. */
        private static String commonName(ChannelHandlerContext ctx) {
            SslHandler ssl = ctx.pipeline().get(SslHandler.class);
            if (ssl == null) {
                return "";
            }
            try {
                java.security.cert.Certificate[] chain = ssl.engine().getSession().getPeerCertificates();
                if (chain.length == 0 || !(chain[0] instanceof java.security.cert.X509Certificate cert)) {
                    return "";
                }
                for (javax.naming.ldap.Rdn rdn : new javax.naming.ldap.LdapName(
                        cert.getSubjectX500Principal().getName()).getRdns()) {
                    if (rdn.getType().equalsIgnoreCase("CN")) {
                        return String.valueOf(rdn.getValue());
                    }
                }
                return "";
            } catch (SSLPeerUnverifiedException | javax.naming.InvalidNameException e) {
                return "";
            }
        }

        /** The connection is TLS and its client presented a certificate the cluster CA signed (checked then). */
        private static boolean clusterCertificate(ChannelHandlerContext ctx) {
            SslHandler ssl = ctx.pipeline().get(SslHandler.class);
            if (ssl == null) {
                return false;
            }
            try {
                return ssl.engine().getSession().getPeerCertificates().length > 0;
            } catch (SSLPeerUnverifiedException e) {
                return false;
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
