package dev.turnout.upstream;

import dev.turnout.base.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import java.net.InetSocketAddress;
import java.time.Duration;

/** Opens new upstream connections, always on the event loop of the client connection that needs one. */
public final class UpstreamConnector {

    /** Written bytes above this make a channel unwritable, which pauses reading from the other side. */
    public static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 64 * 1024);

    private final Bootstrap template;

    public UpstreamConnector(Transport transport) {
        this.template = new Bootstrap()
                // The channel made by its constructor, not by reflection as .channel(Class) would.
                .channelFactory(transport.clientChannelFactory())
                .resolver(transport.resolver())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOCATOR, Transport.BUFFERS)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK);
    }

    /**
     * Connects to {@code address} on {@code loop}; the future's channel carries an {@link UpstreamConnection}
     * that waits in {@code home} between requests.
     */
    public ChannelFuture connect(InetSocketAddress address, IdleConnections home, EventLoop loop, Duration connectTimeout) {
        return template.clone(loop)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                .handler(new UpstreamConnection(home))
                .connect(address);
    }

    public static UpstreamConnection connectionOf(Channel channel) {
        return channel.pipeline().get(UpstreamConnection.class);
    }
}
