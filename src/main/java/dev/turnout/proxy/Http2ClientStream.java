package dev.turnout.proxy;

import dev.turnout.routing.RoutingSnapshot;
import dev.turnout.upstream.ResponseHead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP/2 stream, as the client of one exchange: the handler of a stream channel of
 * {@link io.netty.handler.codec.http2.Http2MultiplexHandler}. Its request goes through the same
 * checks and routing as an HTTP/1.1 request, with the snapshot read when its head arrives; its
 * answer goes out as HEADERS, DATA and trailing HEADERS frames.
 *
 * <p>Flow control ties the two legs: the stream channel reads (and so gives the client window
 * back) only when the exchange asks for more of the body, which it does while the backend takes
 * it; and the channel turns unwritable when the client's window for the answer is used up, which
 * stops the exchange reading from the backend. Each stream keeps its own clock for the exchange's
 * timeouts; the connection's are in {@link Http2ConnectionGuard}.
 */
final class Http2ClientStream extends ChannelInboundHandlerAdapter implements ClientStream {

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
    /** The final head, held until the first body part, a flush or the end, so a bodyless answer is one frame. */
    private Http2Headers pendingHead;
    private ScheduledFuture<?> clock;
    private long clockDueNanos;

    Http2ClientStream(ProxyContext context, Listener listener, Http2ConnectionGuard connection) {
        this.context = context;
        this.listener = listener;
        this.connection = connection;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        connection.streamOpened();
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
            if (msg instanceof Http2ResetFrame) {
                // The client cancelled the stream: whatever the backend is doing for it stops.
                endExchange();
            }
            ReferenceCountUtil.release(msg);
        }
    }

    private void begin(Http2Headers fields, boolean endStream) {
        HttpRequest request;
        try {
            request = Http2Requests.toHttp1(fields, endStream);
        } catch (Http2Requests.Malformed e) {
            answer(e.refusal(), !endStream);
            return;
        }
        RoutingSnapshot snapshot = context.traffic().current();
        Admission admission = Admission.of(request, snapshot);
        if (admission.refusal() != null) {
            answer(admission.refusal(), !endStream);
            return;
        }
        if (HttpUtil.is100ContinueExpected(request)) {
            request.headers().remove(HttpHeaderNames.EXPECT);
            ctx.writeAndFlush(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("100")));
        }
        exchange = new ProxyExchange(this, context, request, snapshot, admission.route(), connection.clientIp(),
                listener.scheme(), connection.trusted(snapshot.config()));
        exchange.start();
        if (endStream && exchange != null) {
            exchange.onClientContent(LastHttpContent.EMPTY_LAST_CONTENT);
        }
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
        if (listener.hsts() != null) {
            pendingHead.set(STRICT_TRANSPORT_SECURITY, listener.hsts());
        }
    }

    private static Http2Headers fieldsOf(ResponseHead head) {
        // Not validated again: the response parser checked every name and value, and dropped the hop-by-hop fields.
        Http2Headers fields = new DefaultHttp2Headers(false, head.size() / 32);
        fields.status(AsciiString.of(Integer.toString(head.status())));
        head.forEachField(fields::add);
        return fields;
    }

    private void writePendingHead(boolean endStream) {
        ctx.write(new DefaultHttp2HeadersFrame(pendingHead, endStream));
        pendingHead = null;
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
        if (trailers.isEmpty()) {
            if (pendingHead != null) {
                writePendingHead(true);
            } else {
                ctx.write(new DefaultHttp2DataFrame(true));
            }
        } else {
            if (pendingHead != null) {
                writePendingHead(false);
            }
            Http2Headers fields = new DefaultHttp2Headers(false);
            for (Map.Entry<String, String> field : trailers) {
                fields.add(field.getKey(), field.getValue());
            }
            ctx.write(new DefaultHttp2HeadersFrame(fields, true));
        }
        answered();
    }

    @Override
    public void answer(Refusal refusal, boolean requestBodyPending) {
        exchange = null;
        FullHttpResponse response = ErrorAnswers.of(refusal, false);
        try {
            Http2Headers fields = new DefaultHttp2Headers(false)
                    .status(response.status().codeAsText())
                    .set(HttpHeaderNames.CONTENT_TYPE, response.headers().get(HttpHeaderNames.CONTENT_TYPE))
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
            if (listener.hsts() != null) {
                fields.set(STRICT_TRANSPORT_SECURITY, listener.hsts());
            }
            ctx.write(new DefaultHttp2HeadersFrame(fields, false));
            ctx.write(new DefaultHttp2DataFrame(response.content().retain(), true));
        } finally {
            response.release();
        }
        answered();
    }

    /**
     * The answer is all out. A client still sending its body is told with RST_STREAM NO_ERROR to
     * stop (RFC 9113, 8.1), which also gives its stream back at once.
     */
    private void answered() {
        if (!requestEnded) {
            ctx.write(new DefaultHttp2ResetFrame(Http2Error.NO_ERROR));
        }
        ctx.flush();
        stopClock();
    }

    @Override
    public void abort() {
        exchange = null;
        reset(Http2Error.INTERNAL_ERROR);
    }

    @Override
    public void drop() {
        exchange = null;
        reset(Http2Error.CANCEL);
    }

    /** Ends the stream with RST_STREAM: the client sees the answer did not end well. The connection's other streams go on. */
    private void reset(Http2Error error) {
        pendingHead = null;
        ctx.writeAndFlush(new DefaultHttp2ResetFrame(error));
        stopClock();
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
        long due = System.nanoTime() + nanos;
        if (clock == null || due - clockDueNanos < 0) {
            stopClock();
            clockDueNanos = due;
            clock = ctx.executor().schedule(this::tick, nanos, TimeUnit.NANOSECONDS);
        }
    }

    private void tick() {
        clock = null;
        if (exchange != null) {
            long next = exchange.checkTimeouts(System.nanoTime());
            if (exchange != null && next != Long.MAX_VALUE) {
                checkWithin(next);
            }
        }
    }

    private void stopClock() {
        if (clock != null) {
            clock.cancel(false);
            clock = null;
        }
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
        stopClock();
        connection.streamClosed();
        ctx.fireChannelInactive();
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
        // A stream error (a malformed frame, a flow-control violation) ends this stream only; the codec
        // has sent its RST_STREAM, and the connection guard counts what it says.
        endExchange();
        ctx.close();
    }
}
