package dev.turnout.proxy;

import dev.turnout.config.ProxyConfig;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.ByteProcessor;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.List;

/**
 * Netty's request decoder with the refusals it lacks: obsolete line folding, which it would
 * quietly unfold, a request line with more than single spaces between its three parts, and one
 * with a control byte, which it would pass on inside the target or take as a separator (a tab,
 * CR, VT or FF), are decoding failures here. To see these, a request head is held back until it
 * is complete and scanned once; the decoder then parses it as usual. Netty itself already refuses
 * Content-Length with Transfer-Encoding, several Content-Length values, a final coding other than
 * chunked, Transfer-Encoding on HTTP/1.0, whitespace before a colon and bad chunk sizes.
 *
 * <p>It decodes one request at a time: after the end of a request it holds whatever the client
 * pipelined behind it, undecoded and unread past one socket read, until the client connection
 * {@link #resume resumes} it. So a client that pipelines without reading its answers costs one
 * read buffer, not a queue of decoded requests.
 *
 * <p>It also notes when the first byte of a request head arrived, for the header timeout.
 */
final class StrictRequestDecoder extends HttpRequestDecoder {

    private final int headLimit;
    private final ByteProcessor headScanner = this::scanByte;

    private boolean awaitingHead = true;
    /** A whole request went out; the bytes behind it wait for {@link #resume}. */
    private boolean holding;
    /** Bytes after the reader index already scanned; they do not move while the head is held back. */
    private int scanned;
    private boolean seenContent;
    private boolean atLineStart;
    private int lineIndex;
    private int lineLength;
    private boolean folded;
    private boolean loosePrefix;
    private boolean controlInRequestLine;
    private byte previous;
    private long headStartNanos;

    StrictRequestDecoder(ProxyConfig.Limits limits) {
        super(new HttpDecoderConfig()
                .setMaxInitialLineLength(limits.maxRequestLine())
                .setMaxHeaderSize(limits.maxHeaderBytes())
                .setMaxChunkSize(16 * 1024));
        // Past this, the head is handed on so that the decoder reports which limit it broke.
        this.headLimit = limits.maxRequestLine() + limits.maxHeaderBytes() + 4;
    }

    /** When the first byte of a still incomplete request head arrived, or 0 when none is pending. */
    long headStartNanos() {
        return headStartNanos;
    }

    /**
     * Lets the next request be decoded.
     *
     * @return whether bytes of it are already held here; the caller then passes an empty buffer
     *         through the pipeline to decode them, otherwise it reads from the socket
     */
    boolean resume() {
        holding = false;
        return actualReadableBytes() > 0;
    }

    /** Whether pipelined bytes are held, so that reading more would only pile them up. */
    boolean holdsBytes() {
        return holding && actualReadableBytes() > 0;
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        if (holding) {
            // The superclass would read again because nothing was decoded: that is how a client that
            // pipelines without reading filled the heap. The held bytes wait for resume().
            discardSomeReadBytes();
            ctx.fireChannelReadComplete();
            return;
        }
        super.channelReadComplete(ctx);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
        if (holding) {
            return;
        }
        if (awaitingHead && buffer.isReadable()) {
            if (headStartNanos == 0) {
                headStartNanos = System.nanoTime();
            }
            if (!scanHead(buffer) && buffer.readableBytes() <= headLimit) {
                return;
            }
        }
        int before = out.size();
        super.decode(ctx, buffer, out);
        for (int i = before; i < out.size(); i++) {
            Object decoded = out.get(i);
            if (decoded instanceof HttpMessage message) {
                if (folded) {
                    message.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("obsolete line folding in a header")));
                } else if (loosePrefix) {
                    message.setDecoderResult(DecoderResult.failure(
                            new IllegalArgumentException("request line is not METHOD SP target SP HTTP/x.y")));
                } else if (controlInRequestLine) {
                    message.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("control character in the request line")));
                }
                resetHeadScan();
                awaitingHead = false;
            }
            if (decoded instanceof LastHttpContent) {
                // The decoder ends at most one request per call, so nothing after this one is decoded yet.
                awaitingHead = true;
                holding = true;
            }
        }
    }

    private void resetHeadScan() {
        scanned = 0;
        seenContent = false;
        atLineStart = false;
        lineIndex = 0;
        lineLength = 0;
        folded = false;
        loosePrefix = false;
        controlInRequestLine = false;
        previous = 0;
        headStartNanos = 0;
    }

    /** Scans on from where the last call stopped; true once the empty line that ends the head is in the buffer. */
    private boolean scanHead(ByteBuf buffer) {
        int from = buffer.readerIndex() + scanned;
        int length = buffer.writerIndex() - from;
        if (length <= 0) {
            return false;
        }
        int stop = buffer.forEachByte(from, length, headScanner);
        scanned += (stop < 0 ? length : stop - from + 1);
        return stop >= 0;
    }

    /** One byte of a request head; false (stop) at the empty line that ends it. */
    private boolean scanByte(byte b) {
        if (!seenContent) {
            // Empty lines before a request line are allowed and skipped (RFC 9112, 2.2).
            seenContent = b != '\r' && b != '\n';
            lineLength = seenContent ? 1 : 0;
            controlInRequestLine = seenContent && isControl(b);
            previous = b;
            return true;
        }
        if (lineIndex == 0 && (previous == '\r' ? b != '\n' : b != '\r' && b != '\n' && isControl(b))) {
            // A CR counts as a line end only right before the LF.
            controlInRequestLine = true;
        }
        if (b == '\n') {
            if (lineLength == 0) {
                return false;
            }
            lineIndex++;
            lineLength = 0;
            atLineStart = true;
        } else if (b != '\r') {
            if (atLineStart && lineIndex >= 1 && (b == ' ' || b == '\t')) {
                folded = true;
            }
            if (lineIndex == 0 && b == ' ' && previous == ' ') {
                loosePrefix = true;
            }
            atLineStart = false;
            lineLength++;
        }
        previous = b;
        return true;
    }

    private static boolean isControl(byte b) {
        return (b >= 0 && b < ' ') || b == 0x7f;
    }
}
