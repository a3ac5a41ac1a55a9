package dev.turnout.base;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelOutboundInvoker;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Iterator;
import java.util.Map;

/**
 * The bytes of HTTP/1.1 framing that Turnout writes itself: header lines, and chunks for the
 * bodies it frames (a request body that came chunked, a response body the backend ended by closing).
 */
public final class Framing {

    public static final short CRLF = ('\r' << 8) | '\n';

    private Framing() {}

    /** Writes {@code data} as one chunk. An empty buffer is released unwritten: an empty chunk would end the body. */
    public static void writeChunk(ChannelOutboundInvoker out, ByteBufAllocator alloc, ByteBuf data) {
        int size = data.readableBytes();
        if (size == 0) {
            data.release();
            return;
        }
        ByteBuf frame = alloc.buffer(10);
        ByteBufUtil.writeAscii(frame, Integer.toHexString(size));
        out.write(frame.writeShort(CRLF), out.voidPromise());
        out.write(data, out.voidPromise());
        out.write(alloc.buffer(2).writeShort(CRLF), out.voidPromise());
    }

    /** The last chunk, with trailer fields if there are any. */
    public static ByteBuf lastChunk(ByteBufAllocator alloc, HttpHeaders trailers) {
        ByteBuf end = alloc.buffer(trailers.isEmpty() ? 5 : 128);
        end.writeByte('0').writeShort(CRLF);
        writeHeaders(end, trailers);
        return end.writeShort(CRLF);
    }

    /** Each header as {@code name: value} and CRLF; names and values are ISO-8859-1, as Netty decoded them. */
    public static void writeHeaders(ByteBuf out, HttpHeaders headers) {
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
