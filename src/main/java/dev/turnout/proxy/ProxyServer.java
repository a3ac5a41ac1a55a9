package dev.turnout.proxy;

import dev.turnout.base.Lifecycle;
import dev.turnout.base.Transport;
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
import java.util.concurrent.CompletableFuture;

/** The client-facing listener, the pipeline each client connection gets, and the connections it holds. */
public final class ProxyServer {

    private final Channel channel;
    private final ChannelGroup clients;

    private ProxyServer(Channel channel, ChannelGroup clients) {
        this.channel = channel;
        this.clients = clients;
    }

    public static ProxyServer bind(Transport transport, EventLoopGroup boss, EventLoopGroup workers,
                                   InetSocketAddress address, ProxyContext context) throws InterruptedException {
        ChannelGroup clients = new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE);
        ConnectionLimiter limiter = new ConnectionLimiter(context.traffic(), clients);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(boss, workers)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOCATOR, Transport.BUFFERS)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, UpstreamConnector.WATER_MARK)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        // Limits are read per connection, so a reload reaches every new connection.
                        StrictRequestDecoder decoder = new StrictRequestDecoder(context.traffic().current().config().limits());
                        ch.pipeline()
                                .addLast("limit", limiter)
                                .addLast("decoder", decoder)
                                .addLast("proxy", new FrontendHandler(context, decoder));
                    }
                });
        return new ProxyServer(bootstrap.bind(address).sync().channel(), clients);
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    /** Stops accepting; connections already open carry on. */
    public void stopAccepting() {
        channel.close().syncUninterruptibly();
    }

    /** Closes every connection that is between requests; busy ones close after their answer (see {@link Lifecycle}). */
    public void closeIdleConnections() {
        for (Channel ch : clients) {
            ch.eventLoop().execute(() -> {
                FrontendHandler front = ch.pipeline().get(FrontendHandler.class);
                if (front != null) {
                    front.closeIfIdle();
                }
            });
        }
    }

    public int openConnections() {
        return clients.size();
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
        channel.close().syncUninterruptibly();
        clients.close().syncUninterruptibly();
    }
}
