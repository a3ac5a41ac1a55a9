package dev.turnout.upstream;

import dev.turnout.routing.Backend;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpObject;
import io.netty.util.ReferenceCountUtil;

/**
 * The last handler of an upstream channel: it hands what the backend sends to the exchange that
 * holds the connection, and takes the connection out of the idle pool when it dies there.
 */
public final class UpstreamConnection extends ChannelInboundHandlerAdapter {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(UpstreamConnection.class);

    private final Backend backend;
    private Channel channel;
    private UpstreamListener listener;
    private int requests;
    private long idleSinceNanos;

    UpstreamConnection(Backend backend) {
        this.backend = backend;
    }

    public Channel channel() {
        return channel;
    }

    /** Binds the connection to one exchange; counts the request towards maxRequestsPerConnection. */
    public void attach(UpstreamListener exchange) {
        this.listener = exchange;
        requests++;
    }

    public int requests() {
        return requests;
    }

    /** Ends the exchange's hold: back to the idle pool when reusable, else closed. */
    public void release(boolean reusable, int maxRequests) {
        listener = null;
        if (!reusable || requests >= maxRequests || !channel.isActive() || !backend.idle().offer(this)) {
            channel.close();
        }
    }

    /** Ends the exchange's hold and closes: after an error, an abort or a partial message. */
    public void discard() {
        listener = null;
        channel.close();
    }

    long idleSinceNanos() {
        return idleSinceNanos;
    }

    void markIdle(long nanos) {
        idleSinceNanos = nanos;
        // A pending read lets the pool see the backend's FIN while the connection waits here.
        channel.read();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        UpstreamListener l = listener;
        if (l != null && msg instanceof HttpObject http) {
            l.onUpstreamMessage(http);
        } else {
            // Bytes from a backend nobody asked: the connection is out of step, never reuse it.
            ReferenceCountUtil.release(msg);
            ctx.close();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        UpstreamListener l = listener;
        if (l != null) {
            l.onUpstreamReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        UpstreamListener l = listener;
        if (l != null) {
            l.onUpstreamWritabilityChanged(ctx.channel().isWritable());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        UpstreamListener l = listener;
        listener = null;
        if (l != null) {
            l.onUpstreamClosed(null);
        } else {
            backend.idle().remove(this);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof java.io.IOException) && !(cause instanceof io.netty.handler.codec.DecoderException)) {
            log.error("unexpected failure on a connection to {}", backend, cause);
        }
        UpstreamListener l = listener;
        listener = null;
        ctx.close();
        if (l != null) {
            l.onUpstreamClosed(cause);
        }
    }
}
