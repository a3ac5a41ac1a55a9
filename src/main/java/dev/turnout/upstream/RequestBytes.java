package dev.turnout.upstream;

import dev.turnout.base.Framing;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;

/**
 * A request as the bytes that go upstream. Upstream connections carry no HTTP encoder: the head is
 * written here in one buffer, and a body goes on as the client's buffers, in chunks of our own
 * framing when it came chunked.
 */
final class RequestBytes {

    private static final byte[] VERSION = " HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);

    private RequestBytes() {}

    /** The request line, always as HTTP/1.1, and the headers. */
    static ByteBuf head(ByteBufAllocator alloc, HttpRequest request) {
        String uri = request.uri();
        ByteBuf out = alloc.buffer(256 + uri.length());
        ByteBufUtil.writeAscii(out, request.method().name());
        out.writeByte(' ');
        ByteBufUtil.writeAscii(out, uri);
        out.writeBytes(VERSION);
        Framing.writeHeaders(out, request.headers());
        return out.writeShort(Framing.CRLF);
    }

    /** Writes one part of a body; {@code part} is handed to the channel. */
    static void write(Channel ch, HttpContent part, boolean chunked) {
        if (!chunked) {
            ch.write(part.content(), ch.voidPromise());
            return;
        }
        Framing.writeChunk(ch, ch.alloc(), part.content());
        if (part instanceof LastHttpContent last) {
            ch.write(Framing.lastChunk(ch.alloc(), last.trailingHeaders()), ch.voidPromise());
        }
    }
}
