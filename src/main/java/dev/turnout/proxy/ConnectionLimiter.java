package dev.turnout.proxy;

import dev.turnout.base.LogLimit;
import dev.turnout.routing.RoutingSnapshot;
import dev.turnout.routing.TrafficSwitch;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.ssl.SniHandler;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.LoggerFactory;

/**
 * First in every client pipeline, on both listeners: counts open client connections, answers 503 and closes past
 * {@code limits.maxConnections}, and keeps the set of connections a graceful shutdown walks.
 */
@ChannelHandler.Sharable
final class ConnectionLimiter extends ChannelInboundHandlerAdapter {

    private final TrafficSwitch traffic;
    private final ChannelGroup clients;
    private final ExchangeOutcomes outcomes;
    private final AtomicInteger open = new AtomicInteger();
    /** The WARN lines of connections refused past the limit: a flood of them is exactly when the log must not grow. */
    private final LogLimit refusals = LogLimit.of(LoggerFactory.getLogger(ConnectionLimiter.class));

    ConnectionLimiter(TrafficSwitch traffic, ChannelGroup clients, ExchangeOutcomes outcomes) {
        this.traffic = traffic;
        this.clients = clients;
        this.outcomes = outcomes;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        RoutingSnapshot snapshot = traffic.current();
        int max = snapshot.config().limits().maxConnections();
        if (open.incrementAndGet() > max) {
            boolean https = ctx.pipeline().get(SniHandler.class) != null;
            String client = ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a.getAddress().getHostAddress() : "unknown";
            refusals.warn("connection from {} {}: limits.maxConnections ({}) reached", client,
                    https ? "closed unanswered" : "refused with 503", max);
            if (https) {
                // An HTTPS client could read an answer only after a handshake, which is work an
                // overloaded proxy should not take on: it is closed unanswered.
                ctx.close();
                return;
            }
            Refusal refusal = Refusal.serviceUnavailable("too many connections");
            outcomes.answeredBeforeRouting(AccessRequest.unread(client, AccessRequest.NONE, null, snapshot.config().accessLog()),
                    refusal.status().code(), refusal.error(), snapshot.generation());
            FullHttpResponse tooMany = ErrorAnswers.of(refusal, null, true);
            tooMany.headers().set(HttpHeaderNames.RETRY_AFTER, 1);
            ctx.writeAndFlush(AnswerBytes.of(ctx.alloc(), tooMany, Listener.NO_HSTS)).addListener(ChannelFutureListener.CLOSE);
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
