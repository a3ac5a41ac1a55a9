package dev.turnout.proxy;

import dev.turnout.upstream.UpstreamConnector;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpServerCodec;
import java.net.InetSocketAddress;

/** The client-facing listener and the pipeline each client connection gets. */
public final class ProxyServer {

    private final Channel channel;

    private ProxyServer(Channel channel) {
        this.channel = channel;
    }

    public static ProxyServer bind(Transport transport, EventLoopGroup boss, EventLoopGroup workers,
                                   InetSocketAddress address, ProxyContext context) throws InterruptedException {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(boss, workers)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, UpstreamConnector.WATER_MARK)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline()
                                .addLast("http", new HttpServerCodec(8192, 32 * 1024, 16 * 1024))
                                .addLast("proxy", new FrontendHandler(context));
                    }
                });
        return new ProxyServer(bootstrap.bind(address).sync().channel());
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    public void close() {
        channel.close().syncUninterruptibly();
    }
}
