package dev.turnout.upstream;

import dev.turnout.base.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketChannelConfig;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * Opens new upstream connections, always on the event loop of the client connection that needs one.
 *
 * <p>A backend given as an IP literal has its address resolved once, at configuration; connecting
 * to it skips Netty's Bootstrap: no copy of the bootstrap and its option map per connection, no
 * channel made by reflection, no look-up of the loop's DNS resolver only to hear the address
 * needs none. A backend given by name goes through the Bootstrap and its asynchronous resolver.
 */
public final class UpstreamConnector {

    /** Written bytes above this make a channel unwritable, which pauses reading from the other side. */
    public static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 64 * 1024);

    private final Transport transport;
    private final Bootstrap template;

    public UpstreamConnector(Transport transport) {
        this.transport = transport;
        this.template = new Bootstrap()
                .channel(transport.clientChannel())
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
        int timeoutMillis = (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis());
        if (!address.isUnresolved()) {
            SocketChannel channel = null;
            try {
                channel = transport.newClientChannel();
            } catch (RuntimeException e) {
                // No socket (out of descriptors, say): the Bootstrap tries once more and answers with a failed future.
            }
            if (channel != null) {
                try {
                    return connect(channel, address, home, loop, timeoutMillis);
                } catch (RuntimeException e) {
                    channel.unsafe().closeForcibly();
                    return new DefaultChannelPromise(channel, loop).setFailure(e);
                }
            }
        }
        return template.clone(loop)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, timeoutMillis)
                .handler(new UpstreamConnection(home))
                .connect(address);
    }

    /** What Bootstrap.connect does for a resolved address: the template's options, the handler, registration, connect. */
    private static ChannelFuture connect(SocketChannel channel, InetSocketAddress address, IdleConnections home, EventLoop loop,
                                         int timeoutMillis) {
        SocketChannelConfig config = channel.config();
        config.setTcpNoDelay(true)
                .setKeepAlive(true)
                .setAutoRead(false)
                .setAllocator(Transport.BUFFERS)
                .setWriteBufferWaterMark(WATER_MARK)
                .setConnectTimeoutMillis(timeoutMillis);
        channel.pipeline().addLast(new UpstreamConnection(home));
        // Bound to the loop now: the channel has none until registered, and a failed registration must still notify.
        ChannelPromise connected = new DefaultChannelPromise(channel, loop);
        // As Bootstrap does: a refused connect leaves the socket open until someone closes it.
        connected.addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        loop.register(channel).addListener((ChannelFutureListener) registered -> {
            if (registered.isSuccess()) {
                channel.connect(address, connected);
            } else {
                if (channel.isRegistered()) {
                    channel.close();
                } else {
                    channel.unsafe().closeForcibly();
                }
                connected.setFailure(registered.cause());
            }
        });
        return connected;
    }

    public static UpstreamConnection connectionOf(Channel channel) {
        return channel.pipeline().get(UpstreamConnection.class);
    }
}
