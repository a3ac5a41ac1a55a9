package dev.turnout.proxy;

import dev.turnout.base.Lifecycle;
import dev.turnout.base.Transport;
import dev.turnout.config.ProxyConfig;
import dev.turnout.upstream.UpstreamConnector;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;

/**
 * The client-facing listeners (plain HTTP and, with {@code tls}, HTTPS), the pipeline each client
 * connection gets, and the connections they hold: one set, one connection limit for both.
 */
public final class ProxyServer {

    private final ServerBootstrap bootstrap;
    private final ChannelGroup clients;
    private final ConnectionLimiter limiter;
    private final ProxyContext context;
    /** Set while starting, on the thread that later stops: no other thread reads them. */
    private Channel plain;
    private Channel https;

    private ProxyServer(ServerBootstrap bootstrap, ChannelGroup clients, ProxyContext context) {
        this.bootstrap = bootstrap;
        this.clients = clients;
        this.limiter = new ConnectionLimiter(context.traffic(), clients, context.outcomes());
        this.context = context;
    }

    /** Binds the plain listener; with {@code tls.redirectHttp} it sends every request but /health to HTTPS. */
    public static ProxyServer bind(Transport transport, EventLoopGroup boss, EventLoopGroup workers,
                                   InetSocketAddress address, ProxyContext context) throws InterruptedException {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(boss, workers)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                // Bound but not accepting until startAccepting: a client that connects during the warm-up waits in the
                // kernel's queue rather than being refused.
                .option(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOCATOR, Transport.BUFFERS)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, UpstreamConnector.WATER_MARK);
        ProxyServer server = new ProxyServer(bootstrap, new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE), context);
        Optional<ProxyConfig.Tls> tls = context.traffic().current().config().tls();
        OptionalInt redirect = tls.filter(ProxyConfig.Tls::redirectHttp).map(t -> OptionalInt.of(t.redirectPort())).orElse(OptionalInt.empty());
        server.plain = server.listen(address, null, Listener.plain(redirect));
        return server;
    }

    /** Binds the HTTPS listener; its connections are handled as the plain ones, after the TLS handshake. */
    public void bindTls(InetSocketAddress address, ServerTls tls) throws InterruptedException {
        https = listen(address, tls, Listener.https(context.traffic().current().config().tls().flatMap(ProxyConfig.Tls::hsts)));
    }

    private Channel listen(InetSocketAddress address, ServerTls tls, Listener listener) throws InterruptedException {
        ClientPipeline pipelines = new ClientPipeline(context, listener);
        ServerBootstrap listening = bootstrap.clone().childHandler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast("limit", limiter);
                if (tls != null) {
                    ch.pipeline().addLast("tls", tls.newHandler()).addLast("protocol", new ProtocolChoice(pipelines));
                } else if (listener.redirectPort().isEmpty() && context.traffic().current().config().http2().cleartext()) {
                    // A redirecting listener answers every request with a redirect: it speaks HTTP/1.1 only.
                    ch.pipeline().addLast("protocol", new PriorKnowledge(pipelines));
                } else {
                    pipelines.http1(ch);
                }
            }
        });
        return listening.bind(address).sync().channel();
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) plain.localAddress();
    }

    public Optional<InetSocketAddress> tlsAddress() {
        return Optional.ofNullable(https).map(ch -> (InetSocketAddress) ch.localAddress());
    }

    /** Starts accepting on every listener; connections that arrived since the bind were queued by the kernel. */
    public void startAccepting() {
        plain.config().setAutoRead(true);
        if (https != null) {
            https.config().setAutoRead(true);
        }
    }

    /** Stops accepting on every listener; connections already open carry on. */
    public void stopAccepting() {
        plain.close().syncUninterruptibly();
        if (https != null) {
            https.close().syncUninterruptibly();
        }
    }

    /**
     * Closes every HTTP/1.1 connection that is between requests (busy ones close after their answer,
     * see {@link Lifecycle}), and sends every HTTP/2 connection GOAWAY: its open streams finish.
     */
    public void closeIdleConnections() {
        for (Channel ch : clients) {
            ch.eventLoop().execute(() -> {
                FrontendHandler front = ch.pipeline().get(FrontendHandler.class);
                if (front != null) {
                    front.closeIfIdle();
                }
                goAway(ch);
            });
        }
    }

    /**
     * After a reload: every HTTP/2 connection gets GOAWAY, so its client opens a new one with the
     * new settings; streams in flight finish. HTTP/1.1 connections take the new settings with their next request.
     */
    public void goAwayHttp2() {
        for (Channel ch : clients) {
            ch.eventLoop().execute(() -> goAway(ch));
        }
    }

    private static void goAway(Channel ch) {
        Http2ConnectionGuard h2 = ch.pipeline().get(Http2ConnectionGuard.class);
        if (h2 != null) {
            h2.goAway();
        }
    }

    public int openConnections() {
        return clients.size();
    }

    /** Open client connections by protocol: {@code h2}, or {@code http1} (also those still in their TLS handshake). */
    public Map<String, Integer> openConnectionsByProtocol() {
        int h2 = 0;
        int all = 0;
        for (Channel ch : clients) {
            all++;
            if (ch.pipeline().get(Http2ConnectionGuard.class) != null) {
                h2++;
            }
        }
        return Map.of("http1", all - h2, "h2", h2);
    }

    /** Completes once no client connection is open, also those accepted just before {@link #stopAccepting()}. */
    public CompletableFuture<Void> allClosed() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        completeWhenClosed(done);
        return done;
    }

    private void completeWhenClosed(CompletableFuture<Void> done) {
        if (clients.isEmpty()) {
            done.complete(null);
        } else {
            // The group's close future covers the connections open now; one that joined meanwhile gets the next round.
            clients.newCloseFuture().addListener(f -> completeWhenClosed(done));
        }
    }

    public void close() {
        stopAccepting();
        clients.close().syncUninterruptibly();
    }
}
