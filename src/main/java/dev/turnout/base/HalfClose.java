package dev.turnout.base;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.DuplexChannel;

/** How a tunnel passes one side's FIN to the other: a FIN of its own, once the bytes written before it are out. */
public final class HalfClose {

    private HalfClose() {}

    /** {@code channel} must be a TCP connection that allows half-closure; a failed write has closed it already. */
    public static void afterWrites(Channel channel) {
        // A shutdown right away would fail what the outbound buffer still holds.
        channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                ((DuplexChannel) f.channel()).shutdownOutput();
            }
        });
    }
}
