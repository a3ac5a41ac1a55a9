package dev.turnout.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;

/**
 * A backend's response head as it came off the wire: the status, what frames the body, whether the
 * connection may carry another request, and the header lines that may cross the proxy. The lines
 * stay bytes: the client's head is copied from them, never rebuilt from parsed names and values.
 * The bytes are the parser's, reused for the next head: a head is only valid during
 * {@link ResponseParser.Listener#onResponseHead}.
 */
public final class ResponseHead {

    private static final byte[] HTTP_1_1 = "HTTP/1.1 ".getBytes(StandardCharsets.US_ASCII);

    private final byte[] bytes;
    private final int length;
    private final int status;
    private final BodyFraming framing;
    private final boolean keepAlive;
    private final boolean ambiguous;
    private final long contentLength;
    private final int reasonStart;
    private final int reasonEnd;
    /** Start and end offsets in {@link #bytes} of each end-to-end header line, CRLF excluded. */
    private final int[] lines;
    private final int lineCount;

    ResponseHead(byte[] bytes, int length, int status, BodyFraming framing, boolean keepAlive, boolean ambiguous,
                 long contentLength, int reasonStart, int reasonEnd, int[] lines, int lineCount) {
        this.bytes = bytes;
        this.length = length;
        this.status = status;
        this.framing = framing;
        this.keepAlive = keepAlive;
        this.ambiguous = ambiguous;
        this.contentLength = contentLength;
        this.reasonStart = reasonStart;
        this.reasonEnd = reasonEnd;
        this.lines = lines;
        this.lineCount = lineCount;
    }

    public int status() {
        return status;
    }

    public BodyFraming framing() {
        return framing;
    }

    /** Whether the backend lets this connection carry another request after this response. */
    public boolean keepAlive() {
        return keepAlive;
    }

    /** Whether the head framed its body in a way another parser could read otherwise: see {@link FieldLines#ambiguous}. */
    public boolean ambiguous() {
        return ambiguous;
    }

    /**
     * Whether the connection may go back to the pool once this response ends: the backend keeps it,
     * its framing was unambiguous, and the end of the body is not the end of the connection.
     */
    public boolean reusable() {
        return keepAlive && !ambiguous && framing != BodyFraming.UNTIL_CLOSE;
    }

    /** The Content-Length value kept, or -1; it frames the body only when {@link #framing} says LENGTH. */
    long contentLength() {
        return contentLength;
    }

    /** An upper bound of the bytes {@link #writeTo} writes before the caller's own header lines. */
    public int size() {
        return length + HTTP_1_1.length;
    }

    /** Writes the status line as HTTP/1.1 and the end-to-end header lines, each with its CRLF; the caller ends the head. */
    public void writeTo(ByteBuf out) {
        out.writeBytes(HTTP_1_1);
        out.writeByte('0' + status / 100).writeByte('0' + status / 10 % 10).writeByte('0' + status % 10);
        if (reasonEnd > reasonStart) {
            out.writeByte(' ');
            out.writeBytes(bytes, reasonStart, reasonEnd - reasonStart);
        }
        out.writeShort(CRLF);
        for (int i = 0; i < lineCount * 2; i += 2) {
            out.writeBytes(bytes, lines[i], lines[i + 1] - lines[i]);
            out.writeShort(CRLF);
        }
    }

    /** Whether an end-to-end header field is named {@code lowerCaseName} (its ASCII bytes in lower case). */
    public boolean hasField(byte[] lowerCaseName) {
        return FieldLines.has(bytes, lines, lineCount, lowerCaseName);
    }

    /** Hands each end-to-end header field to {@code each}, its name in lower case: the head as HTTP/2 frames it. */
    public void forEachField(BiConsumer<AsciiString, AsciiString> each) {
        FieldLines.forEach(bytes, lines, lineCount, each);
    }

    static final short CRLF = ('\r' << 8) | '\n';
}
