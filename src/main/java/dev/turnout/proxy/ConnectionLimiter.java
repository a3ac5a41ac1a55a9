package dev.turnout.proxy;

import dev.turnout.routing.TrafficSwitch;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.group.ChannelGroup;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * First in every client pipeline: counts open client connections, answers 503 and closes past
 * {@code limits.maxConnections}, and keeps the set of connections a graceful shutdown walks.
 */
@ChannelHandler.Sharable
final class ConnectionLimiter extends ChannelInboundHandlerAdapter {

    private static final byte[] OVER_LIMIT = ("HTTP/1.1 503 Service Unavailable\r\n"
            + "Content-Type: application/json\r\nContent-Length: 64\r\nCache-Control: no-store\r\nConnection: close\r\n"
            + "Retry-After: 1\r\n\r\n"
            + "{\"error\":\"service_unavailable\",\"detail\":\"too many connections\"}\n")
            .getBytes(StandardCharsets.US_ASCII);

    private final TrafficSwitch traffic;
    private final ChannelGroup clients;
    private final AtomicInteger open = new AtomicInteger();

    ConnectionLimiter(TrafficSwitch traffic, ChannelGroup clients) {
        this.traffic = traffic;
        this.clients = clients;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (open.incrementAndGet() > traffic.current().config().limits().maxConnections()) {
            ctx.writeAndFlush(Unpooled.wrappedBuffer(OVER_LIMIT)).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        clients.add(ctx.channel());
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        open.decrementAndGet();
        ctx.fireChannelInactive();
    }
}
