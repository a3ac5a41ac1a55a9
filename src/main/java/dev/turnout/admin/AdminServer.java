package dev.turnout.admin;

import dev.turnout.proxy.Lifecycle;
import dev.turnout.proxy.Transport;
import dev.turnout.routing.TrafficSwitch;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/** The admin listener: its own small event loop, so that a flip is answered even when traffic saturates the proxy's loops. */
public final class AdminServer {

    private static final int MAX_BODY = 64 * 1024;
    private static final int IDLE_SECONDS = 60;

    private final Channel channel;

    private AdminServer(Channel channel) {
        this.channel = channel;
    }

    public static AdminServer bind(Transport transport, EventLoopGroup group, InetSocketAddress address,
                                   TrafficSwitch traffic, SwitchService switches, ConfigReloader reloader,
                                   Lifecycle lifecycle) throws InterruptedException {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline()
                                // A silent or dribbling client is dropped: the admin port must not be held open for free.
                                .addLast("timeout", new ReadTimeoutHandler(IDLE_SECONDS, TimeUnit.SECONDS))
                                .addLast("http", new HttpServerCodec())
                                .addLast("aggregate", new HttpObjectAggregator(MAX_BODY))
                                .addLast("admin", new AdminHandler(traffic, switches, reloader, lifecycle));
                    }
                });
        return new AdminServer(bootstrap.bind(address).sync().channel());
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    public void close() {
        channel.close().syncUninterruptibly();
    }
}
