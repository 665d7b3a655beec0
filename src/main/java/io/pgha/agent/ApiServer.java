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
import io.pgha.tls.TlsFiles;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * The agent's HTTP endpoint, read-only, one small event loop: /health and /metrics over plain http or https, for
 * anyone (health checks and Prometheus); /status only over https with a client certificate of the cluster CA (an
 * agent's or pghactl's), since it names files, endpoints and errors of the host. One port serves both: the first
 * bytes of a connection tell TLS from plain http.
 */
public final class ApiServer implements AutoCloseable {

    /** What the agent answers; called on the event loop, so each must be quick and not block. */
    public interface Endpoints {
        Response health();

        Response status();

        Response metrics();
    }

    public record Response(int code, String contentType, String body) {
    }

    private final EventLoopGroup group;
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
                                    new Handler(endpoints));
                        }
                    }).bind(listen).sync().channel();
        } catch (InterruptedException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        } catch (Exception e) {
            // Netty rethrows the bind's own exception (a checked BindException) without declaring it.
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IOException(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage(), e);
        }
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private static final Response STATUS_REFUSED = new Response(403, "text/plain; charset=utf-8",
                "/status needs https with a client certificate of the cluster CA (pghactl's admin.crt, an agent's"
                        + " host certificate); /health and /metrics need none\n");
        private final Endpoints endpoints;

        Handler(Endpoints endpoints) {
            this.endpoints = endpoints;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            Response response;
            if (!request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.HEAD)) {
                response = new Response(405, "text/plain; charset=utf-8", "only GET\n");
            } else {
                response = switch (new QueryStringDecoder(request.uri()).path()) {
                    case "/health" -> endpoints.health();
                    case "/status" -> clusterCertificate(ctx) ? endpoints.status() : STATUS_REFUSED;
                    case "/metrics" -> endpoints.metrics();
                    default -> new Response(404, "text/plain; charset=utf-8",
                            "not found: try /health, /status or /metrics\n");
                };
            }
            byte[] body = response.body().getBytes(StandardCharsets.UTF_8);
            FullHttpResponse out = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(response.code()),
                    request.method().equals(HttpMethod.HEAD) ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
            out.headers().set(HttpHeaderNames.CONTENT_TYPE, response.contentType());
            out.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
            ctx.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
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
