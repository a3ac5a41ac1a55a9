package dev.turnout.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The open {@code GET /admin/events} streams, and the one way events reach them: each event is
 * written as text once and its bytes shared by every stream. A stream whose reader falls behind
 * (Netty's write buffer past its high-water mark) is closed rather than fed selectively: a client
 * that silently missed a flip would show a state that is not true; one that lost its stream knows
 * it and reconnects.
 */
public final class EventStreams {

    /** The admin API is for a few operators, scripts and dashboards: a cap keeps a leaking client from holding memory. */
    static final int MAX_STREAMS = 64;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Set<Channel> streams = ConcurrentHashMap.newKeySet();
    /** Counts the streams against {@link #MAX_STREAMS}; a slot is taken before the stream is added, so the cap holds. */
    private final AtomicInteger slots = new AtomicInteger();
    /** Set once Turnout stops: no stream opens and nothing is written after the streams' ends. */
    private volatile boolean closed;

    /**
     * Answers the request on {@code ctx} with an open stream, or false when {@link #MAX_STREAMS} are
     * open or Turnout is stopping. HTTP/1.1 gets a chunked body; HTTP/1.0, which has no chunks, a
     * body that ends when the connection closes.
     */
    boolean open(ChannelHandlerContext ctx, HttpVersion version) {
        if (closed) {
            return false;
        }
        if (slots.incrementAndGet() > MAX_STREAMS) {
            slots.decrementAndGet();
            return false;
        }
        boolean http10 = version.equals(HttpVersion.HTTP_1_0);
        HttpResponse head = new DefaultHttpResponse(http10 ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE)
                .set(http10 ? HttpHeaderNames.CONNECTION : HttpHeaderNames.TRANSFER_ENCODING,
                        http10 ? HttpHeaderValues.CLOSE : HttpHeaderValues.CHUNKED);
        Channel channel = ctx.channel();
        // A comment first, so that a client sees the stream open before the first event.
        ctx.write(head);
        ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(": turnout events\n\n".getBytes(StandardCharsets.UTF_8))));
        streams.add(channel);
        channel.closeFuture().addListener(gone -> {
            if (streams.remove(channel)) {
                slots.decrementAndGet();
            }
        });
        return true;
    }

    boolean any() {
        return !streams.isEmpty();
    }

    /** Sends {@code data} as JSON in an event named {@code type} to every open stream; from any thread. */
    void publish(String type, Object data) {
        if (closed || streams.isEmpty()) {
            return;
        }
        String text;
        try {
            text = "event: " + type + "\ndata: " + JSON.writeValueAsString(data) + "\n\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the " + type + " event as JSON", e);
        }
        // One heap copy for all; every write takes a view of it, whose release the shared bytes ignore.
        ByteBuf bytes = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(text.getBytes(StandardCharsets.UTF_8)));
        for (Channel stream : streams) {
            if (stream.isWritable()) {
                stream.writeAndFlush(new DefaultHttpContent(bytes.duplicate()));
            } else {
                stream.close();
            }
        }
    }

    /** Ends every stream properly, so clients see the end rather than a reset; they may connect again. */
    void endAll() {
        for (Channel stream : streams) {
            stream.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Turnout is stopping: every stream ends, and none opens any more. */
    void close() {
        closed = true;
        endAll();
    }
}
