package dev.turnout.proxy;

import dev.turnout.config.ProxyConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameStreamException;
import io.netty.util.AsciiString;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The clock and the ending of one HTTP/2 connection; it sits between the frame codec and the
 * stream multiplexer, and hears of every frame the codec reads from {@link Http2FrameWatch}. A new connection must open its first
 * stream within {@code limits.headerTimeout}; a connection with no open stream closes after
 * {@code limits.idleTimeout}; a frame begun (a header block split over CONTINUATION frames, a DATA
 * frame) must be complete within {@code limits.headerTimeout}, as nginx times a frame it has
 * begun to read. The same clock checks the timeouts of each open stream's exchange. Each ending
 * goes through the codec's close, which sends GOAWAY with the last
 * stream id and lets open streams finish within {@code drain.timeout}.
 */
final class Http2ConnectionGuard extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(Http2ConnectionGuard.class);

    private final ProxyContext context;
    private final InetAddress peer;
    private final AsciiString clientIp;
    private ChannelHandlerContext ctx;
    /** The open streams, whose exchanges' timeouts this clock checks. */
    private final Set<Http2ClientStream> streams = new HashSet<>();
    private boolean anyStream;
    /** When the last stream closed, or the connection began. */
    private long idleSinceNanos;
    /** Since when the reads brought bytes but no whole frame; 0 when the last read ended one. */
    private long partialSinceNanos;
    private boolean frameRead;
    private boolean goingAway;
    private ConnectionClock clock;

    Http2ConnectionGuard(ProxyContext context, Channel channel) {
        this.context = context;
        this.peer = channel.remoteAddress() instanceof InetSocketAddress a ? a.getAddress() : null;
        this.clientIp = AsciiString.of(peer == null ? "unknown" : peer.getHostAddress());
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.clock = new ConnectionClock(ctx.executor(), this::tick);
        idleSinceNanos = System.nanoTime();
        tick();
    }

    AsciiString clientIp() {
        return clientIp;
    }

    /** Whether the peer is a trusted proxy, whose X-Forwarded-* are kept. */
    boolean trusted(ProxyConfig config) {
        return peer != null && ClientAddress.isTrusted(peer, config.trustedProxies());
    }

    void streamOpened(Http2ClientStream stream) {
        streams.add(stream);
        anyStream = true;
    }

    void streamClosed(Http2ClientStream stream) {
        if (streams.remove(stream) && streams.isEmpty()) {
            idleSinceNanos = System.nanoTime();
        }
    }

    /** Makes the clock tick within {@code nanos}, for a stream whose exchange has a deadline before the next tick. */
    void tickWithin(long nanos) {
        clock.tickWithin(nanos);
    }

    /** The codec read a whole frame (told by {@link Http2FrameWatch}, which hears every one). */
    void frameRead() {
        frameRead = true;
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (frameRead) {
            partialSinceNanos = 0;
        } else if (partialSinceNanos == 0) {
            partialSinceNanos = System.nanoTime();
        }
        frameRead = false;
        ctx.fireChannelReadComplete();
    }

    /** Graceful stop or reload: GOAWAY now, the open streams finish, then the connection closes. */
    void goAway() {
        if (!goingAway) {
            goingAway = true;
            ctx.channel().close();
        }
    }

    private void tick() {
        if (!ctx.channel().isActive()) {
            return;
        }
        ProxyConfig.Limits limits = context.traffic().current().config().limits();
        long now = System.nanoTime();
        long headerTimeout = limits.headerTimeout().toNanos();
        long next = headerTimeout;
        if (partialSinceNanos != 0) {
            long left = partialSinceNanos + headerTimeout - now;
            if (left <= 0) {
                goAway();
            } else {
                next = left;
            }
        }
        if (!streams.isEmpty()) {
            // A copy: a timeout ends its stream, which leaves the set. The streams of a connection
            // going away still run, and their timeouts with them.
            for (Http2ClientStream stream : streams.toArray(new Http2ClientStream[0])) {
                next = Math.min(next, stream.checkTimeouts(now));
            }
        } else {
            long left = idleSinceNanos + (anyStream ? limits.idleTimeout().toNanos() : headerTimeout) - now;
            if (left <= 0) {
                goAway();
                return;
            }
            next = Math.min(next, left);
        }
        clock.schedule(next);
    }

    /**
     * Stream errors go on to their stream. A connection error the codec has answered with GOAWAY
     * already (and {@link Http2Abuse} counted), and resets or TLS failures from the client, need
     * nothing more; anything else is a bug of ours and is logged.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof Http2FrameStreamException) {
            ctx.fireExceptionCaught(cause);
            return;
        }
        if (cause instanceof Http2Exception) {
            // The codec sends GOAWAY with the error's code and closes once it has told us; a close from
            // here would go first, and say NO_ERROR.
            return;
        }
        if (!ClientFailures.routine(cause)) {
            log.error("unexpected failure on an HTTP/2 connection from {}", clientIp, cause);
        }
        ctx.close();
    }

    /**
     * The connection ended (a connection error, the end of a graceful close, the client gone): a
     * stream whose exchange is still at work, with request frames queued unread, would otherwise
     * wait for a read that never comes. Each is closed here, its exchange ended, its frames released.
     */
    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (clock != null) {
            clock.stop();
        }
        for (Http2ClientStream stream : streams.toArray(new Http2ClientStream[0])) {
            stream.connectionEnded();
        }
        ctx.fireChannelInactive();
    }
}
