package dev.turnout.proxy;

import dev.turnout.routing.RoutingSnapshot;
import dev.turnout.upstream.ResponseHead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameStreamException;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP/2 stream, as the client of one exchange: the handler of a stream channel of
 * {@link io.netty.handler.codec.http2.Http2MultiplexHandler}. Its request goes through the same
 * checks and routing as an HTTP/1.1 request, with the snapshot read when its head arrives; its
 * answer goes out as HEADERS, DATA and trailing HEADERS frames.
 *
 * <p>Flow control ties the two legs: the stream channel reads (and so gives the client window
 * back) only when the exchange asks for more of the body, which it does while the backend takes
 * it; and the channel turns unwritable when the client's window for the answer is used up, which
 * stops the exchange reading from the backend. The exchange's timeouts run on the connection's
 * clock, in {@link Http2ConnectionGuard}: one timer per connection, not one per stream.
 */
final class Http2ClientStream extends ChannelInboundHandlerAdapter implements ClientStream {

    private static final Logger log = LoggerFactory.getLogger(Http2ClientStream.class);
    /** As the access log names it. */
    private static final String PROTOCOL = "HTTP/2";

    private static final AsciiString STRICT_TRANSPORT_SECURITY = AsciiString.cached("strict-transport-security");

    private final ProxyContext context;
    private final Listener listener;
    private final Http2ConnectionGuard connection;
    private ChannelHandlerContext ctx;
    private ProxyExchange exchange;
    /** The request's head has come; frames after it are its body or trailers. */
    private boolean started;
    /** The client ended its side of the stream. */
    private boolean requestEnded;
    /** A HEAD request, whose answers, Turnout's own too, carry no body. */
    private boolean headRequest;
    private String requestId;
    /** The access log's view of this stream's request, or null when no line is written for it. */
    private AccessRequest access;
    /** The final head, held until the first body part, a flush or the end, so a bodyless answer is one frame. */
    private Http2Headers pendingHead;

    Http2ClientStream(ProxyContext context, Listener listener, Http2ConnectionGuard connection) {
        this.context = context;
        this.listener = listener;
        this.connection = connection;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        connection.streamOpened(this);
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Http2HeadersFrame headers) {
            requestEnded |= headers.isEndStream();
            if (!started) {
                started = true;
                begin(headers.headers(), headers.isEndStream());
            } else if (exchange != null) {
                exchange.onClientContent(trailers(headers.headers()));
            }
        } else if (msg instanceof Http2DataFrame data) {
            requestEnded |= data.isEndStream();
            if (exchange == null) {
                data.release();
            } else {
                // The part owns the frame's bytes from here.
                exchange.onClientContent(data.isEndStream() ? new DefaultLastHttpContent(data.content()) : new DefaultHttpContent(data.content()));
            }
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    /** The multiplexer hands a client's RST_STREAM over as an event, not a read: it must not wait behind queued frames. */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof Http2ResetFrame) {
            // The client cancelled the stream: whatever the backend is doing for it stops.
            endExchange();
            drain();
        }
        ctx.fireUserEventTriggered(event);
    }

    private void begin(Http2Headers fields, boolean endStream) {
        headRequest = HttpMethod.HEAD.asciiName().contentEquals(fields.method());
        HttpRequest request;
        try {
            request = Http2Requests.toHttp1(fields, endStream);
        } catch (Http2Requests.Malformed e) {
            requestId = RequestIds.generate();
            access = AccessRequest.unread(connection.clientIp(), PROTOCOL, requestId, context.traffic().current().config().accessLog());
            refuse(e.refusal(), endStream);
            return;
        }
        requestId = RequestIds.of(request.headers());
        RoutingSnapshot snapshot = context.traffic().current();
        access = AccessRequest.of(request, connection.clientIp(), PROTOCOL, requestId, snapshot.config().accessLog());
        Admission admission = Admission.of(request, snapshot, context.lifecycle());
        if (admission.answer() != null) {
            context.outcomes().answeredEdgeHealth(access, admission.answer().status().code(), snapshot.generation());
            answer(admission.answer(), !endStream);
            return;
        }
        if (admission.refusal() != null) {
            refuse(admission.refusal(), endStream);
            return;
        }
        if (HttpUtil.is100ContinueExpected(request)) {
            request.headers().remove(HttpHeaderNames.EXPECT);
            ctx.writeAndFlush(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("100")));
        }
        RequestIds.set(request.headers(), requestId);
        exchange = new ProxyExchange(this, context, request, snapshot, admission.route(), connection.clientIp(),
                listener.scheme(), connection.trusted(snapshot.config()), access);
        exchange.start();
        if (endStream && exchange != null) {
            exchange.onClientContent(LastHttpContent.EMPTY_LAST_CONTENT);
        } else if (!HttpUtil.isTransferEncodingChunked(request) && HttpUtil.getContentLength(request, 0L) == 0) {
            // Bodyless, but its end comes in a frame of its own (an empty DATA frame): read it, as nobody else will.
            ctx.read();
        }
    }

    /** A request refused before routing: no exchange, Turnout's own answer. */
    private void refuse(Refusal refusal, boolean endStream) {
        context.outcomes().answeredBeforeRouting(access, refusal.status().code(), refusal.error(), context.traffic().current().generation());
        answer(refusal, !endStream);
    }

    private static LastHttpContent trailers(Http2Headers fields) {
        LastHttpContent last = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
        for (Map.Entry<CharSequence, CharSequence> field : fields) {
            last.trailingHeaders().add(field.getKey(), field.getValue());
        }
        return last;
    }

    @Override
    public EventLoop eventLoop() {
        return ctx.channel().eventLoop();
    }

    @Override
    public boolean takesChunkedBytes() {
        return false;
    }

    @Override
    public void interim(ResponseHead head) {
        ctx.write(new DefaultHttp2HeadersFrame(fieldsOf(head)));
    }

    @Override
    public void head(ResponseHead head, boolean requestBodyPending) {
        pendingHead = fieldsOf(head);
        if (!pendingHead.contains(RequestIds.HEADER)) {
            pendingHead.set(RequestIds.HEADER, requestId);
        }
        if (listener.hsts() != null) {
            pendingHead.set(STRICT_TRANSPORT_SECURITY, listener.hsts());
        }
    }

    private static Http2Headers fieldsOf(ResponseHead head) {
        // Not validated again: the response parser checked every name and value, and dropped the hop-by-hop fields.
        Http2Headers fields = new DefaultHttp2Headers(false, head.size() / 32);
        fields.status(HttpResponseStatus.valueOf(head.status()).codeAsText());
        head.forEachField(fields::add);
        return fields;
    }

    private ChannelFuture writePendingHead(boolean endStream) {
        Http2Headers head = pendingHead;
        pendingHead = null;
        return ctx.write(new DefaultHttp2HeadersFrame(head, endStream));
    }

    @Override
    public void body(ByteBuf part) {
        if (pendingHead != null) {
            writePendingHead(false);
        }
        ctx.write(new DefaultHttp2DataFrame(part, false));
    }

    @Override
    public void end(HttpHeaders trailers) {
        exchange = null;
        ChannelFuture last;
        if (trailers.isEmpty()) {
            last = pendingHead != null ? writePendingHead(true) : ctx.write(new DefaultHttp2DataFrame(true));
        } else {
            if (pendingHead != null) {
                writePendingHead(false);
            }
            Http2Headers fields = new DefaultHttp2Headers(false);
            for (Map.Entry<String, String> field : trailers) {
                fields.add(field.getKey(), field.getValue());
            }
            last = ctx.write(new DefaultHttp2HeadersFrame(fields, true));
        }
        answered(last);
    }

    @Override
    public void answer(Refusal refusal, boolean requestBodyPending) {
        answer(ErrorAnswers.of(refusal, requestId, false), requestBodyPending);
    }

    /** Writes an answer of Turnout's own on this stream, which it ends; {@code response} is released. */
    private void answer(FullHttpResponse response, boolean requestBodyPending) {
        exchange = null;
        try {
            Http2Headers fields = new DefaultHttp2Headers(false).status(response.status().codeAsText());
            response.headers().forEach(field -> fields.add(field.getKey().toLowerCase(java.util.Locale.ROOT), field.getValue()));
            if (requestId != null) {
                fields.set(RequestIds.HEADER, requestId);
            }
            if (listener.hsts() != null) {
                fields.set(STRICT_TRANSPORT_SECURITY, listener.hsts());
            }
            ChannelFuture last;
            if (headRequest) {
                last = ctx.write(new DefaultHttp2HeadersFrame(fields, true));
            } else {
                ctx.write(new DefaultHttp2HeadersFrame(fields, false));
                last = ctx.write(new DefaultHttp2DataFrame(response.content().retain(), true));
            }
            answered(last);
        } finally {
            response.release();
        }
    }

    /**
     * The answer is written up to {@code last}, its final frame. What the client still sends is read
     * and dropped (the stream channel closes once both sides ended); a client still sending its
     * body when the answer is out is told with RST_STREAM NO_ERROR to stop (RFC 9113, 8.1). The
     * reset waits for the final frame: DATA waits in the flow controller, a reset would overtake it.
     */
    private void answered(ChannelFuture last) {
        drain();
        ctx.flush();
        if (!requestEnded) {
            last.addListener(written -> {
                if (!requestEnded && ctx.channel().isActive()) {
                    ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.NO_ERROR));
                }
            });
        }
    }

    /** Reads, and drops, whatever the client still sends; the frames then give their window back, and the stream channel closes at its end. */
    private void drain() {
        ctx.channel().config().setAutoRead(true);
    }

    /**
     * The answer broke after it began: RST_STREAM CANCEL, so the client sees it cut off while the
     * connection's other streams go on. CANCEL rather than INTERNAL_ERROR: the client sees the stream
     * fail either way, and Netty counts every other code against the resets a connection may send
     * (CVE-2025-55163), so a backend that fails many answers on one connection would otherwise end it.
     */
    @Override
    public void abort() {
        exchange = null;
        pendingHead = null;
        ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.CANCEL));
        drain();
    }

    /** The client takes nothing more: the stream is reset like a broken answer, and what is unwritten goes with it. */
    @Override
    public void drop() {
        abort();
    }

    @Override
    public void flush() {
        if (pendingHead != null) {
            // An answer that streams (SSE) must show its head before its first event.
            writePendingHead(false);
        }
        ctx.flush();
    }

    @Override
    public boolean writable() {
        return ctx.channel().isWritable();
    }

    @Override
    public void readRequest() {
        ctx.read();
    }

    @Override
    public void checkWithin(long nanos) {
        connection.tickWithin(nanos);
    }

    @Override
    public boolean canTunnel() {
        return false;
    }

    @Override
    public void tunnel(ResponseHead head) {
        throw new UnsupportedOperationException("an HTTP/2 stream never forwards an upgrade");
    }

    @Override
    public boolean shutdownOutput() {
        throw new UnsupportedOperationException("an HTTP/2 stream never carries a tunnel");
    }

    /**
     * From the connection's clock: the timeouts of this stream's exchange, if it runs.
     *
     * @return nanoseconds until it needs checking again, or Long.MAX_VALUE
     */
    long checkTimeouts(long now) {
        return exchange == null ? Long.MAX_VALUE : exchange.checkTimeouts(now);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (exchange != null) {
            exchange.onClientWritabilityChanged(ctx.channel().isWritable());
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        endExchange();
        connection.streamClosed(this);
        ctx.fireChannelInactive();
    }

    /** The connection under this stream ended. */
    void connectionEnded() {
        endExchange();
        ctx.close();
    }

    private void endExchange() {
        if (exchange != null) {
            ProxyExchange ending = exchange;
            exchange = null;
            ending.onClientClosed();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A stream error (a malformed frame, a flow-control violation) ends this stream only, and the
        // codec has sent its RST_STREAM; anything else is a bug of ours.
        if (!(cause instanceof Http2FrameStreamException) && !ClientFailures.routine(cause)) {
            log.error("unexpected failure on an HTTP/2 stream from {}", connection.clientIp(), cause);
        }
        endExchange();
        ctx.close();
    }
}
