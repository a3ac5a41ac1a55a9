package dev.turnout.proxy;

import dev.turnout.base.Framing;
import dev.turnout.upstream.BodyFraming;
import dev.turnout.upstream.ResponseHead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/**
 * The client stream of an HTTP/1.x connection, one exchange at a time. The answer goes out as the
 * backend's bytes: its head copied line by line without the hop-by-hop headers (the parser left
 * them out), with framing and connection lines of our own; its body as read, chunk framing and all.
 * A body the backend ends by closing goes to an HTTP/1.1 client in chunks framed here; an HTTP/1.0
 * client, which knows no chunks, gets the data alone and the end of the connection as its end.
 */
final class Http1ClientStream implements ClientStream {

    /** The connection the stream writes on: it decides when the next request is read, and keeps the clock. */
    interface Connection {
        /** The answer is written; {@code close}: the connection ends with it. */
        void exchangeComplete(boolean close);

        /** Writes Turnout's own answer and ends the exchange with it. */
        void answer(FullHttpResponse response, boolean close);

        void closeAfterFlush();

        /** Closes at once, discarding what the client has not taken. */
        void closeNow();

        void readMore();

        void tickWithin(long nanos);

        /** The connection becomes a byte tunnel once the bytes written so far are queued: no more HTTP is decoded on it. */
        void tunnel();

        /** Sends a FIN once what was written is out; false on a connection that cannot half-close (TLS). */
        boolean shutdownOutput();
    }

    private static final byte[] CHUNKED_LINE = "Transfer-Encoding: chunked\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CLOSE_LINE = "Connection: close\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] REQUEST_ID_NAME = "X-Request-Id: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] REQUEST_ID_FIELD = RequestIds.HEADER.toByteArray();
    private static final byte[] KEEP_ALIVE_LINE = "Connection: keep-alive\r\n".getBytes(StandardCharsets.US_ASCII);
    /** The parser dropped the backend's, hop-by-hop as they are; RFC 6455 (4.1) requires both in the client's 101. */
    private static final byte[] UPGRADE_LINES = "Upgrade: websocket\r\nConnection: upgrade\r\n".getBytes(StandardCharsets.US_ASCII);

    private final Connection connection;
    private final ChannelHandlerContext ctx;
    /** Written into every final answer's head; empty (and then free) but on an HTTPS listener with tls.hsts. */
    private final byte[] hstsLine;

    private boolean keepAlive;
    private boolean http11;
    /** The backend framed the body by closing; an HTTP/1.1 client gets it in chunks we frame. */
    private boolean chunkEncode;
    /** The connection ends with this answer. */
    private boolean closeAfter;
    /** The request's id, returned to the client; null for a request that came with none set (only in handler tests). */
    private String requestId;

    Http1ClientStream(Connection connection, ChannelHandlerContext ctx, byte[] hstsLine) {
        this.connection = connection;
        this.ctx = ctx;
        this.hstsLine = hstsLine;
    }

    /** The next exchange on this connection begins with {@code request}. */
    void begin(HttpRequest request) {
        requestId = request.headers().get(RequestIds.HEADER);
        keepAlive = HttpUtil.isKeepAlive(request);
        http11 = request.protocolVersion().equals(HttpVersion.HTTP_1_1);
        chunkEncode = false;
        closeAfter = !keepAlive;
    }

    @Override
    public EventLoop eventLoop() {
        return ctx.channel().eventLoop();
    }

    @Override
    public boolean takesChunkedBytes() {
        return http11;
    }

    @Override
    public void interim(ResponseHead head) {
        if (!http11) {
            // An HTTP/1.0 client would take a 1xx for the answer (RFC 9110, 15.2): it gets the final one only.
            return;
        }
        ctx.write(headLines(head, 0).writeShort(Framing.CRLF), ctx.voidPromise());
    }

    @Override
    public void head(ResponseHead head, boolean requestBodyPending) {
        BodyFraming framing = head.framing();
        boolean chunked = false;
        if (framing == BodyFraming.CHUNKED || framing == BodyFraming.UNTIL_CLOSE) {
            if (http11) {
                chunked = true;
                chunkEncode = framing == BodyFraming.UNTIL_CLOSE;
            } else {
                // An HTTP/1.0 client knows no chunks: the end of the body is the end of the connection.
                closeAfter = true;
            }
        }
        if (requestBodyPending) {
            // A request whose body is still coming cannot be followed by another on this connection.
            closeAfter = true;
        }
        ByteBuf out = headLines(head, CHUNKED_LINE.length + KEEP_ALIVE_LINE.length + hstsLine.length + 16 + RequestIds.MAX_LENGTH);
        out.writeBytes(hstsLine);
        writeRequestId(out, head);
        if (chunked) {
            out.writeBytes(CHUNKED_LINE);
        }
        if (closeAfter) {
            out.writeBytes(CLOSE_LINE);
        } else if (!http11) {
            out.writeBytes(KEEP_ALIVE_LINE);
        }
        ctx.write(out.writeShort(Framing.CRLF), ctx.voidPromise());
    }

    /** The backend did not echo the request's id: the client gets the id it can quote. */
    private void writeRequestId(ByteBuf out, ResponseHead head) {
        if (requestId != null && !head.hasField(REQUEST_ID_FIELD)) {
            out.writeBytes(REQUEST_ID_NAME);
            ByteBufUtil.writeAscii(out, requestId);
            out.writeShort(Framing.CRLF);
        }
    }

    /** The status line and end-to-end header lines in a buffer with room for {@code extra} more bytes and the final CRLF. */
    private ByteBuf headLines(ResponseHead head, int extra) {
        ByteBuf out = ctx.alloc().buffer(head.size() + extra + 2);
        head.writeTo(out);
        return out;
    }

    @Override
    public void body(ByteBuf part) {
        if (chunkEncode) {
            Framing.writeChunk(ctx, ctx.alloc(), part);
        } else {
            ctx.write(part, ctx.voidPromise());
        }
    }

    /** Trailers went in the chunked bytes; an HTTP/1.0 client, which takes the data alone, has no place for them. */
    @Override
    public void end(HttpHeaders trailers) {
        if (chunkEncode) {
            ctx.write(Framing.lastChunk(ctx.alloc(), EmptyHttpHeaders.INSTANCE), ctx.voidPromise());
        }
        connection.exchangeComplete(closeAfter);
    }

    @Override
    public void answer(Refusal refusal, boolean requestBodyPending) {
        boolean close = closeAfter || requestBodyPending;
        connection.answer(ErrorAnswers.of(refusal, requestId, close), close);
    }

    @Override
    public void abort() {
        connection.closeAfterFlush();
    }

    @Override
    public void drop() {
        connection.closeNow();
    }

    @Override
    public void flush() {
        ctx.flush();
    }

    @Override
    public boolean writable() {
        return ctx.channel().isWritable();
    }

    @Override
    public void readRequest() {
        connection.readMore();
    }

    @Override
    public void checkWithin(long nanos) {
        connection.tickWithin(nanos);
    }

    @Override
    public boolean canTunnel() {
        return true;
    }

    @Override
    public void tunnel(ResponseHead head) {
        ByteBuf out = headLines(head, UPGRADE_LINES.length + 16 + RequestIds.MAX_LENGTH);
        writeRequestId(out, head);
        out.writeBytes(UPGRADE_LINES);
        ctx.writeAndFlush(out.writeShort(Framing.CRLF), ctx.voidPromise());
        connection.tunnel();
    }

    @Override
    public boolean shutdownOutput() {
        return connection.shutdownOutput();
    }
}
