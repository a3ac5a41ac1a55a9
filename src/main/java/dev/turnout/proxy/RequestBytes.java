package dev.turnout.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.Iterator;
import java.util.Map;

/**
 * A request as the bytes that go upstream. Upstream connections carry no HTTP encoder: the head is
 * written here in one buffer, and a body goes on as the client's buffers, in chunks of our own
 * framing when it came chunked.
 */
final class RequestBytes {

    private static final short CRLF = ('\r' << 8) | '\n';
    private static final byte[] VERSION = " HTTP/1.1\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] LAST_CHUNK = "0\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private RequestBytes() {}

    /** The request line, always as HTTP/1.1, and the headers. */
    static ByteBuf head(ByteBufAllocator alloc, HttpRequest request) {
        String method = request.method().name();
        String uri = request.uri();
        ByteBuf out = alloc.buffer(256 + uri.length());
        ByteBufUtil.writeAscii(out, method);
        out.writeByte(' ');
        ByteBufUtil.writeAscii(out, uri);
        out.writeBytes(VERSION);
        writeHeaders(out, request.headers());
        return out.writeShort(CRLF);
    }

    /** Writes one part of a body; {@code part} is handed to the channel. */
    static void write(Channel ch, HttpContent part, boolean chunked) {
        ByteBuf content = part.content();
        if (!chunked) {
            ch.write(content, ch.voidPromise());
            return;
        }
        int size = content.readableBytes();
        if (size > 0) {
            ByteBuf frame = ch.alloc().buffer(10);
            ByteBufUtil.writeAscii(frame, Integer.toHexString(size));
            ch.write(frame.writeShort(CRLF), ch.voidPromise());
            ch.write(content, ch.voidPromise());
            ch.write(ch.alloc().buffer(2).writeShort(CRLF), ch.voidPromise());
        } else {
            content.release();
        }
        if (part instanceof LastHttpContent last) {
            ByteBuf end = ch.alloc().buffer(64).writeBytes(LAST_CHUNK);
            writeHeaders(end, last.trailingHeaders());
            ch.write(end.writeShort(CRLF), ch.voidPromise());
        }
    }

    private static void writeHeaders(ByteBuf out, HttpHeaders headers) {
        Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence();
        while (it.hasNext()) {
            Map.Entry<CharSequence, CharSequence> header = it.next();
            ByteBufUtil.writeAscii(out, header.getKey());
            out.writeByte(':').writeByte(' ');
            ByteBufUtil.writeAscii(out, header.getValue());
            out.writeShort(CRLF);
        }
    }
}
