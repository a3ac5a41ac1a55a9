package dev.turnout.upstream;

import io.netty.buffer.ByteBuf;
import dev.turnout.proxy.HeaderRules;
import io.netty.util.AsciiString;
import io.netty.util.ByteProcessor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads a backend's responses off the raw bytes of its connection. Only the head is parsed, once,
 * into a {@link ResponseHead}; the body goes on as slices of the buffers read, chunk framing
 * included, so nothing is decoded and encoded again on its way to the client. The chunk framing
 * is still walked, to find where a response ends and to refuse a broken one.
 *
 * <p>A backend is trusted more than a client but not blindly: a head must be well formed and at
 * most {@link #MAX_HEAD_BYTES}, a Transfer-Encoding must end in chunked, several Content-Length
 * values must agree, and a line folded over two lines is refused.
 */
public final class ResponseParser {

    /** What a parser hands on. Every buffer given is the listener's to release; a head is only valid during its call. */
    public interface Listener {
        void onResponseHead(ResponseHead head);

        void onResponseBody(ByteBuf bytes);

        void onResponseEnd();

        void onResponseInvalid(String reason);
    }

    /** Larger heads are refused, as nginx refuses one larger than its proxy buffer. */
    private static final int MAX_HEAD_BYTES = 32 * 1024;

    private enum State {
        IDLE, HEAD, LENGTH, UNTIL_CLOSE, CHUNK_SIZE, CHUNK_EXTENSION, CHUNK_SIZE_LF, CHUNK_DATA, CHUNK_DATA_CR, CHUNK_DATA_LF,
        TRAILER_START, TRAILER, TRAILER_END_LF, DONE
    }

    private Listener listener;
    private State state = State.IDLE;
    private boolean headRequest;
    private boolean dechunk;
    private boolean excess;
    /** A head that did not arrive in one read. */
    private ByteBuf partial;
    private long remaining;
    private int chunkDigits;
    private int trailerBytes;
    /** Each head is copied here and parsed as an array: cheaper than reading a buffer a byte at a time. */
    private byte[] scratch = new byte[2048];
    /** The start and end of each end-to-end header line of the head being parsed; reused like {@link #scratch}. */
    private int[] lines = new int[32];
    private boolean afterLineFeed;
    /** Stops at the line feed of the empty line that ends a head. */
    private final ByteProcessor headEndFinder = b -> {
        if (b == '\n') {
            if (afterLineFeed) {
                return false;
            }
            afterLineFeed = true;
        } else if (b != '\r') {
            afterLineFeed = false;
        }
        return true;
    };

    /**
     * Expects the response to a new request.
     *
     * @param headRequest the request was HEAD: the response has no body whatever its head says
     * @param dechunk     hand on only the data of a chunked body, for a client that knows no chunks
     */
    void begin(Listener listener, boolean headRequest, boolean dechunk) {
        this.listener = listener;
        this.headRequest = headRequest;
        this.dechunk = dechunk;
        this.state = State.HEAD;
        this.excess = false;
    }

    /** Stops handing anything on; what is left of a response is dropped with the connection. */
    void stop() {
        listener = null;
        state = State.IDLE;
        if (partial != null) {
            partial.release();
            partial = null;
        }
    }

    /** Whether the last response ended exactly where its bytes did, so the connection is in step for another request. */
    boolean clean() {
        return state == State.DONE && !excess;
    }

    /**
     * The connection closed: for a body framed by the end of the connection that is its end, which
     * this reports to the listener. Returns false when the close cut a response short.
     */
    boolean closed() {
        if (state != State.UNTIL_CLOSE) {
            return false;
        }
        end(false);
        return true;
    }

    /** Takes {@code in}, and releases it. */
    void feed(ByteBuf in) {
        if (partial != null) {
            ByteBuf joined = partial.writeBytes(in);
            in.release();
            partial = null;
            in = joined;
        }
        try {
            while (listener != null && in.isReadable()) {
                switch (state) {
                    case HEAD -> readHead(in);
                    case LENGTH -> {
                        int n = (int) Math.min(remaining, in.readableBytes());
                        remaining -= n;
                        listener.onResponseBody(in.readRetainedSlice(n));
                        if (remaining == 0) {
                            end(in.isReadable());
                        }
                    }
                    case UNTIL_CLOSE -> listener.onResponseBody(in.readRetainedSlice(in.readableBytes()));
                    case DONE -> {
                        // Read on after the response ended: more than it framed, so the connection is out of step.
                        excess = true;
                        in.skipBytes(in.readableBytes());
                    }
                    default -> readChunked(in);
                }
            }
        } finally {
            in.release();
        }
    }

    /** @param bytesLeft bytes follow the response in what was read: the backend sent more than it framed */
    private void end(boolean bytesLeft) {
        Listener l = listener;
        if (l != null) {
            state = State.DONE;
            excess = bytesLeft;
            l.onResponseEnd();
        }
    }

    private void invalid(String reason) {
        Listener l = listener;
        stop();
        if (l != null) {
            l.onResponseInvalid("invalid response: " + reason);
        }
    }

    private void readHead(ByteBuf in) {
        int start = in.readerIndex();
        int limit = in.writerIndex();
        // Empty lines before a status line are skipped, as RFC 9112 (2.2) allows.
        while (start < limit && (in.getByte(start) == '\r' || in.getByte(start) == '\n')) {
            start++;
        }
        int end = headEnd(in, start, limit);
        if (end < 0) {
            if (limit - start > MAX_HEAD_BYTES) {
                invalid("head larger than " + MAX_HEAD_BYTES + " bytes");
                return;
            }
            partial = in.alloc().buffer(Math.max(1024, 2 * (limit - start))).writeBytes(in, start, limit - start);
            in.readerIndex(limit);
            return;
        }
        if (end - start > MAX_HEAD_BYTES) {
            invalid("head larger than " + MAX_HEAD_BYTES + " bytes");
            return;
        }
        in.readerIndex(end);
        int length = end - start;
        if (scratch.length < length) {
            scratch = new byte[Math.max(length, scratch.length * 2)];
        }
        in.getBytes(start, scratch, 0, length);
        ResponseHead head = parseHead(scratch, length);
        if (head == null) {
            return;
        }
        int status = head.status();
        Listener l = listener;
        if (status < 200) {
            // An interim answer: another head follows.
            l.onResponseHead(head);
        } else if (headRequest || status == 204 || status == 304) {
            l.onResponseHead(head);
            end(in.isReadable());
        } else if (head.chunked()) {
            state = State.CHUNK_SIZE;
            remaining = 0;
            chunkDigits = 0;
            trailerBytes = 0;
            l.onResponseHead(head);
        } else if (head.framedByLength()) {
            remaining = head.contentLength();
            state = remaining == 0 ? State.DONE : State.LENGTH;
            l.onResponseHead(head);
            if (remaining == 0) {
                end(in.isReadable());
            }
        } else {
            state = State.UNTIL_CLOSE;
            l.onResponseHead(head);
        }
    }

    /** The index just past the empty line that ends a head starting at {@code from}, or -1. */
    private int headEnd(ByteBuf in, int from, int limit) {
        afterLineFeed = false;
        int lastLineFeed = in.forEachByte(from, limit - from, headEndFinder);
        return lastLineFeed < 0 ? -1 : lastLineFeed + 1;
    }

    /** Parses the head in {@code head[0, end)}; null after reporting it invalid. */
    private ResponseHead parseHead(byte[] in, int end) {
        int lineEnd = indexOf(in, 0, end, '\n');
        int statusEnd = trimCr(in, 0, lineEnd);
        // HTTP/1.x SP 3DIGIT [SP reason]
        if (statusEnd < 12 || !startsWithHttp1(in) || in[8] != ' ') {
            invalid("status line is not HTTP/1.x followed by a status code");
            return null;
        }
        byte minor = in[7];
        int status = digit(in, 9) * 100 + digit(in, 10) * 10 + digit(in, 11);
        if ((minor != '0' && minor != '1') || status < 100 || status > 999 || (statusEnd > 12 && in[12] != ' ')) {
            invalid("status line is not HTTP/1.x followed by a status code");
            return null;
        }
        boolean http11 = minor == '1';
        int reasonStart = Math.min(13, statusEnd);

        int count = 0;
        long length = -1;
        int lengthLine = -1;
        boolean chunked = false;
        boolean close = false;
        boolean keepAliveToken = false;
        List<String> named = null;
        int ls = lineEnd + 1;
        while (true) {
            int lf = indexOf(in, ls, end, '\n');
            int le = trimCr(in, ls, lf);
            if (le == ls) {
                break;
            }
            byte first = in[ls];
            if (first == ' ' || first == '\t') {
                invalid("obsolete line folding in a header");
                return null;
            }
            int colon = indexOf(in, ls, le, ':');
            if (colon <= ls || !isToken(in, ls, colon)) {
                invalid("malformed header line");
                return null;
            }
            int vs = skipSpace(in, colon + 1, le);
            int ve = trimSpace(in, vs, le);
            int nameLength = colon - ls;
            boolean hopByHop = false;
            if (is(in, ls, nameLength, CONTENT_LENGTH)) {
                long value = parseLength(in, vs, ve);
                if (value < 0 || (length >= 0 && value != length)) {
                    invalid("bad Content-Length");
                    return null;
                }
                length = value;
                lengthLine = count;
            } else if (is(in, ls, nameLength, TRANSFER_ENCODING)) {
                hopByHop = true;
                if (!endsWithChunked(in, vs, ve)) {
                    invalid("Transfer-Encoding other than chunked");
                    return null;
                }
                chunked = true;
            } else if (is(in, ls, nameLength, CONNECTION)) {
                hopByHop = true;
                // The usual values, close and keep-alive, are read in place; only a header name costs a String.
                int t = vs;
                while (t < ve) {
                    int comma = indexOf(in, t, ve, ',');
                    int te = comma < 0 ? ve : comma;
                    int ts = skipSpace(in, t, te);
                    int tl = trimSpace(in, ts, te);
                    if (is(in, ts, tl - ts, CLOSE)) {
                        close = true;
                    } else if (is(in, ts, tl - ts, KEEP_ALIVE)) {
                        keepAliveToken = true;
                    } else if (tl > ts) {
                        if (named == null) {
                            named = new ArrayList<>(2);
                        }
                        named.add(lowerCase(in, ts, tl));
                    }
                    t = te + 1;
                }
            } else {
                hopByHop = isHopByHop(in, ls, nameLength);
            }
            if (!hopByHop) {
                if (count * 2 == lines.length) {
                    lines = Arrays.copyOf(lines, lines.length * 2);
                }
                lines[count * 2] = ls;
                lines[count * 2 + 1] = le;
                count++;
            }
            ls = lf + 1;
        }
        if (chunked && lengthLine >= 0) {
            // RFC 9112, 6.3: chunked framing wins, and the length must not go on.
            count = drop(lines, count, lengthLine);
            length = -1;
        }
        if (named != null) {
            count = dropNamed(in, lines, count, named);
        }
        boolean keepAlive = http11 ? !close : keepAliveToken && !close;
        return new ResponseHead(in, end, status, keepAlive, length, chunked,
                reasonStart, statusEnd, lines, count);
    }

    private void readChunked(ByteBuf in) {
        int from = in.readerIndex();
        int limit = in.writerIndex();
        int i = from;
        while (i < limit && state != State.DONE) {
            switch (state) {
                case CHUNK_DATA -> {
                    int n = (int) Math.min(remaining, limit - i);
                    if (dechunk) {
                        listener.onResponseBody(in.retainedSlice(i, n));
                        if (listener == null) {
                            in.readerIndex(limit);
                            return;
                        }
                    }
                    remaining -= n;
                    i += n;
                    if (remaining == 0) {
                        state = State.CHUNK_DATA_CR;
                    }
                }
                default -> {
                    if (!chunkFraming(in.getByte(i))) {
                        in.readerIndex(limit);
                        return;
                    }
                    i++;
                }
            }
        }
        in.readerIndex(i);
        if (!dechunk && i > from) {
            listener.onResponseBody(in.retainedSlice(from, i - from));
        }
        if (state == State.DONE) {
            end(in.isReadable());
        }
    }

    /** One byte of chunk framing; false after reporting the body broken. */
    private boolean chunkFraming(byte b) {
        switch (state) {
            case CHUNK_SIZE -> {
                int digit = Character.digit(b, 16);
                if (digit >= 0) {
                    if (++chunkDigits > 15) {
                        invalid("chunk size too large");
                        return false;
                    }
                    remaining = remaining * 16 + digit;
                } else if (chunkDigits == 0) {
                    invalid("chunk size is not hexadecimal");
                    return false;
                } else if (b == ';' || b == ' ' || b == '\t') {
                    state = State.CHUNK_EXTENSION;
                } else if (b == '\r') {
                    state = State.CHUNK_SIZE_LF;
                } else if (b == '\n') {
                    chunkSizeRead();
                } else {
                    invalid("chunk size is not hexadecimal");
                    return false;
                }
            }
            case CHUNK_EXTENSION -> {
                if (b == '\n') {
                    chunkSizeRead();
                } else if (++trailerBytes > MAX_HEAD_BYTES) {
                    invalid("chunk extension too long");
                    return false;
                }
            }
            case CHUNK_SIZE_LF -> {
                if (b != '\n') {
                    invalid("chunk size line not ended by CRLF");
                    return false;
                }
                chunkSizeRead();
            }
            case CHUNK_DATA_CR -> {
                if (b == '\r') {
                    state = State.CHUNK_DATA_LF;
                } else if (b == '\n') {
                    nextChunk();
                } else {
                    invalid("chunk data not followed by CRLF");
                    return false;
                }
            }
            case CHUNK_DATA_LF -> {
                if (b != '\n') {
                    invalid("chunk data not followed by CRLF");
                    return false;
                }
                nextChunk();
            }
            case TRAILER_START -> {
                if (b == '\r') {
                    state = State.TRAILER_END_LF;
                } else if (b == '\n') {
                    state = State.DONE;
                } else {
                    state = State.TRAILER;
                }
            }
            case TRAILER -> {
                if (b == '\n') {
                    state = State.TRAILER_START;
                } else if (++trailerBytes > MAX_HEAD_BYTES) {
                    invalid("trailer larger than " + MAX_HEAD_BYTES + " bytes");
                    return false;
                }
            }
            case TRAILER_END_LF -> {
                if (b != '\n') {
                    invalid("trailer not ended by CRLF");
                    return false;
                }
                state = State.DONE;
            }
            default -> throw new IllegalStateException(state.name());
        }
        return true;
    }

    private void chunkSizeRead() {
        if (remaining == 0) {
            trailerBytes = 0;
            state = State.TRAILER_START;
        } else {
            state = State.CHUNK_DATA;
        }
    }

    private void nextChunk() {
        state = State.CHUNK_SIZE;
        remaining = 0;
        chunkDigits = 0;
        trailerBytes = 0;
    }

    // ---- bytes of a head ------------------------------------------------------------------

    private static final byte[] CONTENT_LENGTH = ascii("content-length");
    private static final byte[] TRANSFER_ENCODING = ascii("transfer-encoding");
    private static final byte[] CONNECTION = ascii("connection");
    private static final byte[] CHUNKED = ascii("chunked");
    private static final byte[] CLOSE = ascii("close");
    private static final byte[] KEEP_ALIVE = ascii("keep-alive");
    /** The same hop-by-hop names the request side strips; Connection and Transfer-Encoding are read before they are dropped. */
    private static final byte[][] HOP_BY_HOP = HeaderRules.hopByHop().stream().map(AsciiString::toByteArray).toArray(byte[][]::new);
    private static final boolean[] TOKEN = new boolean[128];

    static {
        for (char c = '0'; c <= '9'; c++) {
            TOKEN[c] = true;
        }
        for (char c = 'a'; c <= 'z'; c++) {
            TOKEN[c] = true;
            TOKEN[c - 32] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TOKEN[c] = true;
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    private static int indexOf(byte[] in, int from, int to, char c) {
        for (int i = from; i < to; i++) {
            if (in[i] == c) {
                return i;
            }
        }
        return -1;
    }

    private static boolean startsWithHttp1(byte[] in) {
        return in[0] == 'H' && in[1] == 'T' && in[2] == 'T' && in[3] == 'P' && in[4] == '/' && in[5] == '1' && in[6] == '.';
    }

    private static int digit(byte[] in, int i) {
        byte b = in[i];
        return b >= '0' && b <= '9' ? b - '0' : -1000;
    }

    private static int trimCr(byte[] in, int from, int lf) {
        return lf > from && in[lf - 1] == '\r' ? lf - 1 : lf;
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t';
    }

    /** The first index in {@code [from, to)} that is not a space or tab, or {@code to}. */
    private static int skipSpace(byte[] in, int from, int to) {
        while (from < to && isSpace(in[from])) {
            from++;
        }
        return from;
    }

    /** {@code to} moved back over trailing spaces and tabs, not before {@code from}. */
    private static int trimSpace(byte[] in, int from, int to) {
        while (to > from && isSpace(in[to - 1])) {
            to--;
        }
        return to;
    }

    private static boolean isToken(byte[] in, int from, int to) {
        for (int i = from; i < to; i++) {
            byte b = in[i];
            if (b < 0 || !TOKEN[b]) {
                return false;
            }
        }
        return true;
    }

    /** Whether the {@code length} bytes at {@code i} are {@code lower}, in any case. */
    private static boolean is(byte[] in, int i, int length, byte[] lower) {
        if (length != lower.length) {
            return false;
        }
        for (int k = 0; k < length; k++) {
            if ((in[i + k] | 0x20) != lower[k]) {
                return false;
            }
        }
        return true;
    }

    private static boolean isHopByHop(byte[] in, int i, int length) {
        for (byte[] name : HOP_BY_HOP) {
            if (is(in, i, length, name)) {
                return true;
            }
        }
        return false;
    }

    private static long parseLength(byte[] in, int from, int to) {
        if (from == to || to - from > 18) {
            return -1;
        }
        long value = 0;
        for (int i = from; i < to; i++) {
            int d = digit(in, i);
            if (d < 0) {
                return -1;
            }
            value = value * 10 + d;
        }
        return value;
    }

    /** Whether the last coding of a Transfer-Encoding value is chunked. */
    private static boolean endsWithChunked(byte[] in, int from, int to) {
        int start = to - CHUNKED.length;
        if (start < from || !is(in, start, CHUNKED.length, CHUNKED)) {
            return false;
        }
        int i = start - 1;
        while (i >= from && isSpace(in[i])) {
            i--;
        }
        return i < from || in[i] == ',';
    }

    private static String lowerCase(byte[] in, int from, int to) {
        return new String(in, from, to - from, java.nio.charset.StandardCharsets.ISO_8859_1).toLowerCase(java.util.Locale.ROOT);
    }

    private static int drop(int[] lines, int count, int index) {
        System.arraycopy(lines, (index + 1) * 2, lines, index * 2, (count - index - 1) * 2);
        return count - 1;
    }

    /** Drops the lines whose header a Connection value names. */
    private static int dropNamed(byte[] in, int[] lines, int count, List<String> named) {
        int k = 0;
        while (k < count) {
            int ls = lines[k * 2];
            int colon = indexOf(in, ls, lines[k * 2 + 1], ':');
            String name = lowerCase(in, ls, colon);
            if (named.contains(name)) {
                count = drop(lines, count, k);
            } else {
                k++;
            }
        }
        return count;
    }
}
