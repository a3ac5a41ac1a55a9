package dev.turnout.proxy;

import dev.turnout.base.HalfClose;
import dev.turnout.config.ProxyConfig;
import dev.turnout.routing.RoutingSnapshot;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client connection: reads one request at a time (autoRead is off), checks it and hands it to
 * a {@link ProxyExchange}. The next request is decoded only once the answer before it is complete
 * and the client takes output again (the channel is writable), so a client that pipelines without
 * reading is held by TCP backpressure, not by our memory; pipelined bytes wait undecoded in the
 * {@link StrictRequestDecoder}. It also keeps the client's clock: a request head must arrive within
 * {@code limits.headerTimeout}, an idle keep-alive connection closes after {@code limits.idleTimeout},
 * and a connection whose last answer the client does not take within that time is dropped. After a
 * 101 to a WebSocket handshake it carries the exchange's tunnel: raw bytes, nothing decoded ({@link Mode}).
 */
final class FrontendHandler extends ChannelInboundHandlerAdapter implements Http1ClientStream.Connection {

    private static final Logger log = LoggerFactory.getLogger(FrontendHandler.class);
    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private final ProxyContext context;
    private final StrictRequestDecoder decoder;
    private final Listener listener;
    private ChannelHandlerContext ctx;
    /** The client side of each exchange on this connection, one at a time. */
    private Http1ClientStream stream;
    private InetAddress peer;
    /** AsciiString: it is written into every forwarded request, and the encoder copies these fastest. */
    private AsciiString clientIp;
    private ProxyExchange exchange;
    /** The id of the request being answered; made here for one that never decoded. */
    private String requestId;
    /** The access log's view of the request being answered, or null when no line is written for it. */
    private AccessRequest access;
    /** The decoder handed on something since the last read completed. */
    private boolean delivered;
    /** What the connection carries. */
    private enum Mode {
        /** Requests, one at a time. */
        HTTP,
        /** The bytes of a tunnel, since a 101: nothing is decoded any more. */
        TUNNEL,
        /** Its last answer goes out, then it closes; whatever the client sends is dropped. */
        CLOSING
    }

    private Mode mode = Mode.HTTP;
    private long closingSinceNanos;

    private ConnectionClock clock;
    private long idleSinceNanos;
    private boolean firstRequest = true;

    FrontendHandler(ProxyContext context, StrictRequestDecoder decoder, Listener listener) {
        this.context = context;
        this.decoder = decoder;
        this.listener = listener;
    }

    /**
     * Accepted connections are active from the start, and on the HTTPS listener this handler comes
     * only once the handshake chose HTTP/1.1: either way the connection begins when the handler is added.
     */
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive() && this.ctx == null) {
            begin(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (this.ctx == null) {
            begin(ctx);
        }
        ctx.fireChannelActive();
    }

    private void begin(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.clock = new ConnectionClock(ctx.executor(), this::tick);
        this.stream = new Http1ClientStream(this, ctx, listener.hstsLine());
        if (ctx.channel().remoteAddress() instanceof InetSocketAddress a) {
            peer = a.getAddress();
            clientIp = AsciiString.of(peer.getHostAddress());
        } else {
            clientIp = AsciiString.of("unknown");
        }
        idleSinceNanos = System.nanoTime();
        tick();
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        delivered = true;
        if (mode == Mode.CLOSING) {
            ReferenceCountUtil.release(msg);
        } else if (mode == Mode.TUNNEL) {
            // Raw bytes once the decoder is gone, the ones it held included.
            if (exchange != null && msg instanceof ByteBuf bytes) {
                exchange.onClientBytes(bytes);
            } else {
                ReferenceCountUtil.release(msg);
            }
        } else if (msg instanceof HttpRequest request) {
            if (request.decoderResult().isFailure()) {
                ReferenceCountUtil.release(msg);
                rejectMalformed(request.decoderResult().cause());
                return;
            }
            startExchange(request);
        } else if (msg instanceof HttpContent part) {
            if (exchange == null) {
                part.release();
            } else if (part.decoderResult().isFailure()) {
                part.release();
                rejectMalformed(part.decoderResult().cause());
            } else {
                exchange.onClientContent(part);
            }
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void startExchange(HttpRequest request) {
        firstRequest = false;
        requestId = RequestIds.of(request.headers());
        RoutingSnapshot snapshot = context.traffic().current();
        access = AccessRequest.of(request, clientIp, request.protocolVersion().text(), requestId, snapshot.config().accessLog());
        Admission admission = Admission.beforeRouting(request, snapshot, context.lifecycle());
        if (admission == null && listener.redirectPort().isPresent() && !HttpsRedirect.isHealthCheck(request)) {
            // Before routing: a redirect involves no backend. The edge health was answered above, redirecting or not.
            FullHttpResponse redirect = HttpsRedirect.answer(request, listener.redirectPort().getAsInt(), requestId);
            context.outcomes().answeredBeforeRouting(access, redirect.status().code(), HttpsRedirect.ERROR, snapshot.generation());
            answer(redirect, !HttpUtil.isKeepAlive(redirect));
            return;
        }
        if (admission == null) {
            admission = Admission.route(request, snapshot);
        }
        if (admission.answer() != null) {
            FullHttpResponse answer = admission.answer();
            // While stopping, the load balancer's probe connection closes too.
            boolean close = Admission.closesAfterOwnAnswer(request) || context.lifecycle().stopping();
            if (close) {
                answer.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
            answer.headers().set(RequestIds.HEADER, requestId);
            context.outcomes().answeredEdgeHealth(access, answer.status().code(), snapshot.generation());
            answer(answer, close);
            return;
        }
        if (admission.refusal() != null) {
            refuse(admission.refusal());
            return;
        }
        if (HttpUtil.is100ContinueExpected(request)) {
            // Turnout answers the expectation itself, once, and the backend never sees it.
            request.headers().remove(HttpHeaderNames.EXPECT);
            ctx.writeAndFlush(Unpooled.wrappedBuffer(CONTINUE));
        }
        boolean trusted = peer != null && ClientAddress.isTrusted(peer, snapshot.config().trustedProxies());
        RequestIds.set(request.headers(), requestId);
        stream.begin(request);
        exchange = new ProxyExchange(stream, context, request, snapshot, admission.route(), clientIp, listener.scheme(), trusted,
                access);
        exchange.start();
    }

    private void rejectMalformed(Throwable cause) {
        Refusal refusal = ClientRules.malformed(cause);
        if (exchange == null) {
            // A head that did not decode: a request of its own, refused before routing.
            requestId = RequestIds.generate();
            access = unreadRequest();
            refuse(refusal);
            return;
        }
        // The body broke mid-request: whatever the backend got, the client's framing is lost. The
        // exchange's end counted the request once, and wrote its access-log line; the 400 keeps its id.
        boolean answering = exchange.answerBegan();
        exchange.onClientClosed();
        exchange = null;
        if (answering) {
            // The backend's answer is already going out: a 400 now would land inside it.
            closeAfterFlush();
            return;
        }
        context.outcomes().refusedAfterRouting(refusal.status().code());
        answer(ErrorAnswers.of(refusal, requestId, true), true);
    }

    /** Answers a request refused before routing; its body, if any, is not read, so the connection ends with the answer. */
    private void refuse(Refusal refusal) {
        context.outcomes().answeredBeforeRouting(access, refusal.status().code(), refusal.error(), context.traffic().current().generation());
        answer(ErrorAnswers.of(refusal, requestId, true), true);
    }

    /** The access log's view of a request whose head never decoded. */
    private AccessRequest unreadRequest() {
        return AccessRequest.unread(clientIp, "HTTP/1.1", requestId, context.traffic().current().config().accessLog());
    }

    /**
     * Reads on while a request body streams, and once more after it to notice a client that hangs up
     * while it waits; in a tunnel, while the backend takes the bytes. Never while the decoder holds
     * pipelined bytes, which a read would only pile up; a tunnel's decoder has left the pipeline.
     */
    @Override
    public void readMore() {
        if (mode == Mode.TUNNEL || !decoder.holdsBytes()) {
            ctx.read();
        }
    }

    /** Writes an answer of the proxy's own and ends the current exchange with it. */
    @Override
    public void answer(FullHttpResponse response, boolean close) {
        ctx.write(AnswerBytes.of(ctx.alloc(), response, listener.hstsLine()));
        exchangeComplete(close);
    }

    @Override
    public void exchangeComplete(boolean close) {
        exchange = null;
        idleSinceNanos = System.nanoTime();
        if (close || context.lifecycle().closing()) {
            closeAfterFlush();
            return;
        }
        ctx.flush();
        nextRequest();
    }

    /**
     * Between requests: decodes the next one when the client takes output, else waits for
     * {@link #channelWritabilityChanged}. Bytes the client pipelined are decoded in a task of
     * their own, not inside the call that ended the exchange before (which may come from within
     * the decoder).
     */
    private void nextRequest() {
        if (mode != Mode.HTTP || exchange != null || !ctx.channel().isWritable()) {
            return;
        }
        if (decoder.resume()) {
            ctx.executor().execute(this::decodeHeldBytes);
        } else {
            ctx.read();
        }
    }

    private void decodeHeldBytes() {
        if (mode != Mode.HTTP || exchange != null || !ctx.channel().isActive()) {
            return;
        }
        // Straight into the decoder, which holds the bytes (an empty buffer adds nothing to them),
        // as one read: channelReadComplete then asks for more when they end inside a request.
        ChannelHandlerContext decoderContext = ctx.pipeline().context(decoder);
        try {
            decoder.channelRead(decoderContext, Unpooled.EMPTY_BUFFER);
            decoder.channelReadComplete(decoderContext);
        } catch (Exception e) {
            exceptionCaught(ctx, e);
        }
    }

    /**
     * A read that brought only part of a head, or of a body chunk, decoded to nothing: the rest is
     * still on the socket. Netty's decoder would ask for it itself, but not after it held a request
     * back, so the connection asks here; never while bytes are held, which would only pile them up.
     */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        boolean decoderHolds = mode == Mode.HTTP && decoder.holdsBytes();
        if (!delivered && mode != Mode.CLOSING && !decoderHolds && (exchange == null || exchange.wantsRequestBytes())) {
            ctx.read();
        }
        delivered = false;
        ctx.fireChannelReadComplete();
    }

    @Override
    public void closeNow() {
        exchange = null;
        mode = Mode.CLOSING;
        ctx.close();
    }

    @Override
    public void closeAfterFlush() {
        exchange = null;
        if (mode == Mode.CLOSING) {
            return;
        }
        mode = Mode.CLOSING;
        closingSinceNanos = System.nanoTime();
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    /** From a graceful shutdown: a connection between requests closes now; a busy one after its answer. */
    void closeIfIdle() {
        if (exchange == null && mode == Mode.HTTP && decoder.headStartNanos() == 0) {
            closeAfterFlush();
        }
    }

    /**
     * After the 101 went out: the decoder leaves the pipeline, handing on the bytes it held (a client
     * may send frames right behind its upgrade request), and a FIN from a plain TCP client becomes a
     * half-close to pass on rather than the end. A TLS connection cannot half-close: its end ends the tunnel.
     */
    @Override
    public void tunnel() {
        mode = Mode.TUNNEL;
        if (!tls()) {
            ctx.channel().config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        }
        ctx.pipeline().remove(decoder);
    }

    @Override
    public boolean shutdownOutput() {
        if (tls()) {
            return false;
        }
        HalfClose.afterWrites(ctx.channel());
        return true;
    }

    private boolean tls() {
        return ctx.pipeline().get(SslHandler.class) != null;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof ChannelInputShutdownEvent && exchange != null) {
            exchange.onClientInputShutdown();
        }
        ctx.fireUserEventTriggered(event);
    }

    /** Makes the clock tick within {@code nanos}, for an exchange whose first deadline is closer than the next tick. */
    @Override
    public void tickWithin(long nanos) {
        clock.tickWithin(nanos);
    }

    /**
     * The connection's clock, one timer per connection, re-armed as the connection moves between
     * waiting for a request and carrying one: the client's header and idle timeouts, and the
     * upstream timeouts of the exchange in progress.
     */
    private void tick() {
        if (!ctx.channel().isActive()) {
            return;
        }
        ProxyConfig.Limits limits = context.traffic().current().config().limits();
        long now = System.nanoTime();
        boolean closing = mode == Mode.CLOSING;
        long next = closing ? 0 : checkTimeouts(limits, now);
        if (closing) {
            // The last answer waits for a client that does not read it: nginx's send_timeout, in effect.
            next = closingSinceNanos + limits.idleTimeout().toNanos() - now;
            if (next <= 0) {
                ctx.close();
                return;
            }
        }
        clock.schedule(next);
    }

    /** The timeouts of a connection that is not closing; may close it. Returns nanoseconds until the next check. */
    private long checkTimeouts(ProxyConfig.Limits limits, long now) {
        long headerTimeout = limits.headerTimeout().toNanos();
        long next = Math.min(headerTimeout, limits.idleTimeout().toNanos());
        if (exchange != null) {
            return Math.min(next, exchange.checkTimeouts(now));
        }
        long headStart = decoder.headStartNanos();
        if (firstRequest || headStart != 0) {
            // A new connection has headerTimeout for its first head; later heads from their first byte.
            long since = firstRequest ? idleSinceNanos : headStart;
            long left = since + headerTimeout - now;
            if (left <= 0) {
                requestId = RequestIds.generate();
                access = unreadRequest();
                refuse(Refusal.requestTimeout("no complete request head within " + limits.headerTimeout().toMillis() + "ms"));
            }
            return left;
        }
        long left = idleSinceNanos + limits.idleTimeout().toNanos() - now;
        if (left <= 0) {
            closeAfterFlush();
        }
        // Never more than headerTimeout ahead: a head that starts now is then timed from its first byte.
        return Math.min(left, headerTimeout);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (exchange != null) {
            exchange.onClientWritabilityChanged(ctx.channel().isWritable());
        } else {
            nextRequest();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (exchange != null) {
            exchange.onClientClosed();
            exchange = null;
        }
        if (clock != null) {
            clock.stop();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!ClientFailures.routine(cause)) {
            log.error("unexpected failure on a client connection from {}", clientIp, cause);
        }
        ctx.close();
    }
}
