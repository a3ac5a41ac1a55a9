package dev.turnout.proxy;

import dev.turnout.base.Framing;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.FullHttpResponse;

/**
 * Turnout's own answers on a client connection, as bytes. Client connections carry no HTTP
 * encoder: relayed answers go out as the backend's bytes, so the few the proxy makes itself are
 * written here.
 */
final class AnswerBytes {

    private AnswerBytes() {}

    /** The whole answer, head and body, with {@code hstsLine} among its headers; {@code response} is released. */
    static ByteBuf of(ByteBufAllocator alloc, FullHttpResponse response, byte[] hstsLine) {
        try {
            ByteBuf out = alloc.buffer(256 + hstsLine.length + response.content().readableBytes());
            ByteBufUtil.writeAscii(out, response.protocolVersion().text());
            out.writeByte(' ');
            ByteBufUtil.writeAscii(out, response.status().codeAsText());
            out.writeByte(' ');
            ByteBufUtil.writeAscii(out, response.status().reasonPhrase());
            out.writeShort(Framing.CRLF);
            Framing.writeHeaders(out, response.headers());
            out.writeBytes(hstsLine);
            out.writeShort(Framing.CRLF);
            return out.writeBytes(response.content());
        } finally {
            response.release();
        }
    }
}
