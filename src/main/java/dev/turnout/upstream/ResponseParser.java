package dev.turnout.upstream;

import dev.turnout.base.HopByHop;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
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
 * most {@link #MAX_HEAD_BYTES}, leading empty lines included, a Transfer-Encoding must end in
 * chunked, several Content-Length values must agree, and a line folded over two lines is refused.
 * So is a bare CR, a bare LF or a NUL in a head or trailer line (as nginx does): a client's parser
 * may split a line there where ours did not, and see a header the backend never sent as one.
 *
 * <p>The framing the client gets is Turnout's: one Content-Length line however many equal ones
 * came, none beside a Transfer-Encoding, and none removed by a Connection header. Chunk framing
 * in standard form ({@code HEX CRLF}, data, CRLF) goes on as read; any other (a bare LF, spaces or
 * extensions after the size, trailer fields) is written again in standard form, extensions
 * dropped and trailer fields filtered like header fields, as nginx re-frames a body.
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
    /** Bytes of a chunk extension or of the trailer section read so far; the trailer section is kept in {@link #scratch}. */
    private int trailerBytes;
    /** The chunk-size line being read (with the trailer section, for the last) came in one buffer in standard form, so it can go on in that buffer's slice. */
    private boolean framingAsRead;
    /** The lines of the trailer section kept in {@link #lines}. */
    private int trailerLines;
    /** What the field lines read last said: see {@link #fields}. */
    private long fieldLength;
    private boolean fieldChunked;
    private boolean fieldClose;
    private boolean fieldKeepAlive;
    /** The header names the response's Connection fields list, lower-case; null when they list none (usually). */
    private List<String> named;
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
        int first = in.readerIndex();
        int limit = in.writerIndex();
        int start = first;
        // Empty lines before a status line are skipped, as RFC 9112 (2.2) allows, but they count
        // against the limit: kept in a partial head, so that endless empty lines cannot hold a request.
        while (start < limit && (in.getByte(start) == '\r' || in.getByte(start) == '\n')) {
            start++;
        }
        int end = headEnd(in, start, limit);
        if ((end < 0 ? limit : end) - first > MAX_HEAD_BYTES) {
            invalid("head larger than " + MAX_HEAD_BYTES + " bytes");
            return;
        }
        if (end < 0) {
            partial = in.alloc().buffer(Math.max(1024, 2 * (limit - first))).writeBytes(in, first, limit - first);
            in.readerIndex(limit);
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
            nextChunk();
            framingAsRead = true;
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
        int lineEnd = lineFeed(in, 0, end);
        if (lineEnd < 0) {
            invalid("bare CR, bare LF or NUL in the status line");
            return null;
        }
        int statusEnd = lineEnd - 1;
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
        named = null;
        int count = fields(in, lineEnd + 1, end, false);
        if (count < 0) {
            return null;
        }
        boolean keepAlive = http11 ? !fieldClose : fieldKeepAlive && !fieldClose;
        return new ResponseHead(in, end, status, keepAlive, fieldLength, fieldChunked,
                reasonStart, statusEnd, lines, count);
    }

    /**
     * Reads the field lines in {@code in[from, end)}, up to an empty line or {@code end}: keeps in
     * {@link #lines} those that may cross the proxy, and notes framing and Connection in the
     * {@code field*} fields and {@link #named} on the way. A trailer never frames anything: its
     * Content-Length goes, like its hop-by-hop fields and those a Connection field names.
     *
     * @return the number of lines kept, or -1 after reporting them invalid
     */
    private int fields(byte[] in, int from, int end, boolean trailer) {
        String kind = trailer ? "trailer" : "header";
        fieldLength = -1;
        fieldChunked = false;
        fieldClose = false;
        fieldKeepAlive = false;
        int count = 0;
        int lengthLine = -1;
        int ls = from;
        while (ls < end) {
            int lf = lineFeed(in, ls, end);
            if (lf < 0) {
                invalid("bare CR, bare LF or NUL in a " + kind + " line");
                return -1;
            }
            int le = lf - 1;
            if (le == ls) {
                break;
            }
            byte first = in[ls];
            if (first == ' ' || first == '\t') {
                invalid("obsolete line folding in a " + kind);
                return -1;
            }
            int colon = indexOf(in, ls, le, ':');
            if (colon <= ls || !isToken(in, ls, colon)) {
                invalid("malformed " + kind + " line");
                return -1;
            }
            int vs = skipSpace(in, colon + 1, le);
            int ve = trimSpace(in, vs, le);
            int nameLength = colon - ls;
            boolean keep;
            if (is(in, ls, nameLength, CONTENT_LENGTH)) {
                keep = false;
                if (!trailer) {
                    long value = parseLength(in, vs, ve);
                    if (value < 0 || (fieldLength >= 0 && value != fieldLength)) {
                        invalid("bad Content-Length");
                        return -1;
                    }
                    // Equal duplicates go on once, as the first of them.
                    if (fieldLength < 0) {
                        keep = true;
                        lengthLine = count;
                    }
                    fieldLength = value;
                }
            } else if (!trailer && is(in, ls, nameLength, TRANSFER_ENCODING)) {
                keep = false;
                if (!endsWithChunked(in, vs, ve)) {
                    invalid("Transfer-Encoding other than chunked");
                    return -1;
                }
                fieldChunked = true;
            } else if (is(in, ls, nameLength, CONNECTION)) {
                keep = false;
                readConnection(in, vs, ve);
            } else {
                keep = !isHopByHop(in, ls, nameLength);
            }
            if (keep) {
                if (count * 2 == lines.length) {
                    lines = Arrays.copyOf(lines, lines.length * 2);
                }
                lines[count * 2] = ls;
                lines[count * 2 + 1] = le;
                count++;
            }
            ls = lf + 1;
        }
        if (fieldChunked && lengthLine >= 0) {
            // RFC 9112, 6.3: chunked framing wins, and the length must not go on.
            count = drop(lines, count, lengthLine);
            fieldLength = -1;
        }
        return named == null ? count : dropNamed(in, lines, count, named);
    }

    /**
     * The tokens of a Connection value: close and keep-alive, read in place; any other is a header
     * name, which costs a String. Content-Length is never taken for one: Turnout frames by it, so
     * its line must reach the client whatever the backend's Connection says.
     */
    private void readConnection(byte[] in, int from, int to) {
        int t = from;
        while (t < to) {
            int comma = indexOf(in, t, to, ',');
            int te = comma < 0 ? to : comma;
            int ts = skipSpace(in, t, te);
            int tl = trimSpace(in, ts, te);
            if (is(in, ts, tl - ts, CLOSE)) {
                fieldClose = true;
            } else if (is(in, ts, tl - ts, KEEP_ALIVE)) {
                fieldKeepAlive = true;
            } else if (tl > ts && !is(in, ts, tl - ts, CONTENT_LENGTH)) {
                if (named == null) {
                    named = new ArrayList<>(2);
                }
                named.add(lowerCase(in, ts, tl));
            }
            t = te + 1;
        }
    }

    private void readChunked(ByteBuf in) {
        // [from, i) is what goes on in one slice: data with its CRLF, and size lines in standard form read whole here.
        int from = in.readerIndex();
        int limit = in.writerIndex();
        int i = from;
        // Where the size line being read began in this buffer; one begun in an earlier buffer is no longer as read.
        int framingStart = from;
        while (i < limit && state != State.DONE) {
            if (state == State.CHUNK_DATA) {
                int n = (int) Math.min(remaining, limit - i);
                if (dechunk && !handOn(in.retainedSlice(i, n))) {
                    in.readerIndex(limit);
                    return;
                }
                remaining -= n;
                i += n;
                if (remaining == 0) {
                    state = State.CHUNK_DATA_CR;
                }
                continue;
            }
            State before = state;
            if (!chunkFraming(in.getByte(i))) {
                in.readerIndex(limit);
                return;
            }
            i++;
            if (state == State.CHUNK_SIZE && before != State.CHUNK_SIZE) {
                // A chunk's data ended; its CRLF goes on at once, so a client never waits for the next chunk to finish this one.
                if (before == State.CHUNK_DATA_CR && !dechunk
                        && !(handOn(in, from, i - 1) && handOn(in.alloc().buffer(2).writeShort(ResponseHead.CRLF)))) {
                    in.readerIndex(limit);
                    return;
                }
                if (before == State.CHUNK_DATA_CR) {
                    // That was a bare LF, handed on as CRLF.
                    from = i;
                }
                framingStart = i;
                framingAsRead = true;
            } else if (!framingAsRead && (state == State.CHUNK_DATA || state == State.DONE)) {
                if (!dechunk && !(handOn(in, from, framingStart) && handOn(standardFraming(in.alloc())))) {
                    in.readerIndex(limit);
                    return;
                }
                from = i;
            }
        }
        in.readerIndex(i);
        boolean inSizeLine = state != State.CHUNK_DATA && state != State.CHUNK_DATA_CR && state != State.CHUNK_DATA_LF && state != State.DONE;
        if (inSizeLine && framingStart < i) {
            // Its start stays here, unsent; the line goes on whole, written again, when it ends.
            framingAsRead = false;
        }
        if (!dechunk && !handOn(in, from, inSizeLine ? framingStart : i)) {
            return;
        }
        if (state == State.DONE) {
            end(in.isReadable());
        }
    }

    /** Hands on {@code in[from, to)}, if anything; false when the listener let go meanwhile. */
    private boolean handOn(ByteBuf in, int from, int to) {
        return to == from || handOn(in.retainedSlice(from, to - from));
    }

    /** Hands {@code bytes} on; false when the listener let go meanwhile (its client went away). */
    private boolean handOn(ByteBuf bytes) {
        listener.onResponseBody(bytes);
        return listener != null;
    }

    /** The size line just read, in standard form; for the last chunk with the trailer fields kept and the final CRLF. */
    private ByteBuf standardFraming(ByteBufAllocator alloc) {
        boolean last = state == State.DONE;
        ByteBuf out = alloc.buffer(18 + (last ? trailerBytes + 2 * trailerLines + 2 : 0));
        ByteBufUtil.writeAscii(out, last ? "0" : Long.toHexString(remaining));
        out.writeShort(ResponseHead.CRLF);
        if (last) {
            for (int k = 0; k < trailerLines * 2; k += 2) {
                out.writeBytes(scratch, lines[k], lines[k + 1] - lines[k]).writeShort(ResponseHead.CRLF);
            }
            out.writeShort(ResponseHead.CRLF);
        }
        return out;
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
                    framingAsRead = false;
                    state = State.CHUNK_EXTENSION;
                } else if (b == '\r') {
                    state = State.CHUNK_SIZE_LF;
                } else if (b == '\n') {
                    framingAsRead = false;
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
                    framingAsRead = false;
                    return trailersRead();
                } else {
                    framingAsRead = false;
                    state = State.TRAILER;
                    return keepTrailerByte(b);
                }
            }
            case TRAILER -> {
                if (b == '\n') {
                    state = State.TRAILER_START;
                }
                return keepTrailerByte(b);
            }
            case TRAILER_END_LF -> {
                if (b != '\n') {
                    invalid("trailer not ended by CRLF");
                    return false;
                }
                return trailersRead();
            }
            default -> throw new IllegalStateException(state.name());
        }
        return true;
    }

    private void chunkSizeRead() {
        if (remaining == 0) {
            trailerBytes = 0;
            trailerLines = 0;
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

    /** Keeps a byte of the trailer section in {@link #scratch}, free since the head went on; false past the limit. */
    private boolean keepTrailerByte(byte b) {
        if (trailerBytes == MAX_HEAD_BYTES) {
            invalid("trailer larger than " + MAX_HEAD_BYTES + " bytes");
            return false;
        }
        if (trailerBytes == scratch.length) {
            scratch = Arrays.copyOf(scratch, scratch.length * 2);
        }
        scratch[trailerBytes++] = b;
        return true;
    }

    /** The trailer section ended: its fields are checked and filtered like a head's; false after reporting them invalid. */
    private boolean trailersRead() {
        if (trailerBytes > 0) {
            trailerLines = fields(scratch, 0, trailerBytes, true);
            if (trailerLines < 0) {
                return false;
            }
        }
        state = State.DONE;
        return true;
    }

    // ---- bytes of a head ------------------------------------------------------------------

    private static final byte[] CONTENT_LENGTH = ascii("content-length");
    private static final byte[] TRANSFER_ENCODING = ascii("transfer-encoding");
    private static final byte[] CONNECTION = ascii("connection");
    private static final byte[] CHUNKED = ascii("chunked");
    private static final byte[] CLOSE = ascii("close");
    private static final byte[] KEEP_ALIVE = ascii("keep-alive");
    /** The same hop-by-hop names the request side strips; Connection and Transfer-Encoding are read before they are dropped. */
    private static final byte[][] HOP_BY_HOP = HopByHop.names().stream().map(AsciiString::toByteArray).toArray(byte[][]::new);
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

    /**
     * The index of the LF of the CRLF that ends the line starting at {@code from}, or -1 when the
     * line holds a NUL, or a CR or LF of its own: some clients end a line at a bare CR or LF, and
     * would read what follows as a field the backend never sent as one. Walks each byte once, as
     * the search for the line's end did anyway.
     */
    private static int lineFeed(byte[] in, int from, int to) {
        for (int i = from; i < to; i++) {
            byte b = in[i];
            if (b > '\r' || b < 0) {
                continue;
            }
            if (b == '\n') {
                return i > from && in[i - 1] == '\r' ? i : -1;
            }
            if (b == 0 || (b == '\r' && (i + 1 == to || in[i + 1] != '\n'))) {
                return -1;
            }
        }
        return -1;
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
