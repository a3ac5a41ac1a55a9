package dev.turnout.upstream;

import dev.turnout.base.HalfClose;
import dev.turnout.base.HopByHop;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;

/**
 * The last handler of an upstream channel: it reads what the backend sends with its
 * {@link ResponseParser} for the exchange that holds the connection, and takes the connection out
 * of the idle pool when it dies there.
 */
public final class UpstreamConnection extends ChannelInboundHandlerAdapter {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(UpstreamConnection.class);

    /** The idle pool of the backend this connection goes to: where it waits between requests. */
    private final IdleConnections home;
    private final ResponseParser parser = new ResponseParser(HopByHop.standard());
    private Channel channel;
    private UpstreamListener listener;
    private int requests;
    private long idleSinceNanos;
    /** This connection's loop in {@link #home}, known from the first exchange on (the loop is set at registration). */
    private IdleConnections.Loop loop;
    /** Whether an exchange holds the connection, as counted in {@link #loop}'s busy count. */
    private boolean busy;

    UpstreamConnection(IdleConnections home) {
        this.home = home;
    }

    Channel channel() {
        return channel;
    }

    IdleConnections.Loop loop() {
        return loop;
    }

    /**
     * Binds the connection to one exchange, which hears its response; counts the request towards
     * maxRequestsPerConnection. See {@link ResponseParser#begin} for the flags.
     */
    public void attach(UpstreamListener exchange, boolean headRequest, boolean dechunk) {
        this.listener = exchange;
        parser.begin(exchange, headRequest, dechunk);
        requests++;
        if (!busy) {
            busy = true;
            if (loop == null) {
                loop = home.loop(channel.eventLoop());
            }
            loop.busy();
        }
    }

    /** The exchange's hold has ended, whichever way: the loop's busy count drops once. */
    private void notBusy() {
        if (busy) {
            busy = false;
            loop.notBusy();
        }
    }

    public int requests() {
        return requests;
    }

    /** Writes the request head, as HTTP/1.1; nothing is flushed until {@link #flush}. */
    public void sendHead(HttpRequest request) {
        channel.write(RequestBytes.head(channel.alloc(), request), channel.voidPromise());
    }

    /** Writes one part of the request body, which is handed over; in chunks of our framing when {@code chunked}. */
    public void send(HttpContent part, boolean chunked) {
        RequestBytes.write(channel, part, chunked);
    }

    public void flush() {
        channel.flush();
    }

    /**
     * The backend switched protocols (101): from now on the connection is a byte tunnel, which is
     * never pooled, and whose FIN is passed on to the client as a half-close (the exchange hears
     * {@link UpstreamListener#onUpstreamInputShutdown}) instead of closing the connection.
     */
    public void tunnel() {
        channel.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    }

    /** Writes bytes of a tunnel from the client, which are handed over; nothing is flushed until {@link #flush}. */
    public void forward(ByteBuf bytes) {
        channel.write(bytes, channel.voidPromise());
    }

    /** Passes the client's half-close on: a FIN once what was written before it has gone out. */
    public void shutdownOutput() {
        HalfClose.afterWrites(channel);
    }

    /** Whether the backend takes request bytes: false pauses reading the client's body. */
    public boolean writable() {
        return channel.isWritable();
    }

    /** Asks for the next bytes of the response, once the client takes what came before. */
    public void read() {
        channel.read();
    }

    /** Ends the exchange's hold: back to the idle pool when reusable, else closed. */
    public void release(boolean reusable, int maxRequests) {
        listener = null;
        boolean inStep = parser.clean();
        parser.stop();
        notBusy();
        if (!reusable || !inStep || requests >= maxRequests || !channel.isActive() || !home.offer(this)) {
            channel.close();
        }
    }

    /** Ends the exchange's hold and closes: after an error, an abort or a partial message. */
    public void discard() {
        listener = null;
        parser.stop();
        notBusy();
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
        if (listener != null && msg instanceof ByteBuf bytes) {
            parser.feed(bytes);
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
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        UpstreamListener l = listener;
        if (event instanceof ChannelInputShutdownEvent && l != null) {
            l.onUpstreamInputShutdown();
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        home.opened();
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        home.closed();
        notBusy();
        UpstreamListener l = listener;
        if (l != null && parser.closed()) {
            // The close was the end of a body framed by it; the exchange has completed.
            return;
        }
        listener = null;
        parser.stop();
        if (l != null) {
            l.onUpstreamClosed(null);
        } else if (loop != null) {
            loop.remove(this);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof java.io.IOException)) {
            log.error("unexpected failure on a connection to {}", ctx.channel().remoteAddress(), cause);
        }
        UpstreamListener l = listener;
        listener = null;
        parser.stop();
        ctx.close();
        if (l != null) {
            l.onUpstreamClosed(cause);
        }
    }
}
