package dev.turnout.upstream;

import static dev.turnout.upstream.HeadBytes.ascii;
import static dev.turnout.upstream.HeadBytes.digit;
import static dev.turnout.upstream.HeadBytes.indexOf;
import static dev.turnout.upstream.HeadBytes.is;
import static dev.turnout.upstream.HeadBytes.isSpace;
import static dev.turnout.upstream.HeadBytes.isToken;
import static dev.turnout.upstream.HeadBytes.lineFeed;
import static dev.turnout.upstream.HeadBytes.skipSpace;
import static dev.turnout.upstream.HeadBytes.trimSpace;

import dev.turnout.base.HopByHop;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.BiConsumer;

/**
 * The field lines of a response head or trailer section, checked and sorted in place: which may
 * cross the proxy (their offsets, kept in a reused array), and what the framing and Connection
 * fields said. One per connection; what it read is valid until it reads again.
 *
 * <p>A trailer never frames anything: its Content-Length goes, like its hop-by-hop fields and
 * those a Connection field names.
 */
final class FieldLines {

    private static final byte[] CONTENT_LENGTH = ascii("content-length");
    private static final byte[] TRANSFER_ENCODING = ascii("transfer-encoding");
    private static final byte[] CONNECTION = ascii("connection");
    private static final byte[] CHUNKED = ascii("chunked");
    private static final byte[] CLOSE = ascii("close");
    private static final byte[] KEEP_ALIVE = ascii("keep-alive");

    private final HopByHop hopByHop;
    /** The start and end of each line kept, CRLF excluded. */
    private int[] lines = new int[32];
    private int count;
    private long contentLength;
    private int lengthLines;
    private boolean chunked;
    private boolean close;
    private boolean keepAlive;
    /** The header names the Connection fields of the message list, lower-case; null when they list none (usually). */
    private List<String> named;

    FieldLines(HopByHop hopByHop) {
        this.hopByHop = hopByHop;
    }

    /** Reads the header lines in {@code in[from, end)}, up to an empty line or {@code end}. */
    void readHeader(byte[] in, int from, int end) throws MalformedResponse {
        named = null;
        read(in, from, end, false);
    }

    /**
     * Reads the trailer lines in {@code in[from, end)}, up to an empty line or {@code end}. The
     * names the head's Connection listed are hop-by-hop for the whole message, trailer included.
     */
    void readTrailer(byte[] in, int from, int end) throws MalformedResponse {
        read(in, from, end, true);
    }

    int[] lines() {
        return lines;
    }

    /** Whether one of {@code count} kept lines of {@code in} is a field named {@code lowerCaseName}, in any case. */
    static boolean has(byte[] in, int[] lines, int count, byte[] lowerCaseName) {
        int length = lowerCaseName.length;
        for (int k = 0; k < count * 2; k += 2) {
            int from = lines[k];
            if (lines[k + 1] - from > length && in[from + length] == ':' && is(in, from, length, lowerCaseName)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Hands each of {@code count} kept lines of {@code in} (offsets in {@code lines}) to {@code each}
     * as a lower-case name and its value without the spaces around it: a field as HTTP/2 carries it.
     */
    static void forEach(byte[] in, int[] lines, int count, BiConsumer<AsciiString, AsciiString> each) {
        for (int k = 0; k < count * 2; k += 2) {
            int from = lines[k];
            int to = lines[k + 1];
            int colon = indexOf(in, from, to, ':');
            int valueFrom = skipSpace(in, colon + 1, to);
            each.accept(new AsciiString(in, from, colon - from, true).toLowerCase(),
                    new AsciiString(in, valueFrom, trimSpace(in, valueFrom, to) - valueFrom, true));
        }
    }

    int count() {
        return count;
    }

    /** The one Content-Length value that frames the body, or -1: none came, or Transfer-Encoding overrode it. */
    long contentLength() {
        return contentLength;
    }

    boolean chunked() {
        return chunked;
    }

    boolean close() {
        return close;
    }

    boolean keepAlive() {
        return keepAlive;
    }

    /**
     * Whether another parser could frame the body otherwise than Turnout does: several Content-Length
     * lines, or one beside Transfer-Encoding. Turnout's reading is the RFC's, but an intermediary or
     * the backend itself may have meant another, so the connection after it is not to be trusted.
     */
    boolean ambiguous() {
        return lengthLines > 1 || (chunked && lengthLines > 0);
    }

    private void read(byte[] in, int from, int end, boolean trailer) throws MalformedResponse {
        String kind = trailer ? "trailer" : "header";
        count = 0;
        contentLength = -1;
        lengthLines = 0;
        chunked = false;
        close = false;
        keepAlive = false;
        int lengthLine = -1;
        int ls = from;
        while (ls < end) {
            int lf = lineFeed(in, ls, end);
            if (lf < 0) {
                throw new MalformedResponse("bare CR, bare LF or NUL in a " + kind + " line");
            }
            int le = lf - 1;
            if (le == ls) {
                break;
            }
            if (isSpace(in[ls])) {
                throw new MalformedResponse("obsolete line folding in a " + kind);
            }
            int colon = indexOf(in, ls, le, ':');
            if (colon <= ls || !isToken(in, ls, colon)) {
                throw new MalformedResponse("malformed " + kind + " line");
            }
            int vs = skipSpace(in, colon + 1, le);
            int ve = trimSpace(in, vs, le);
            int nameLength = colon - ls;
            boolean keep;
            if (is(in, ls, nameLength, CONTENT_LENGTH)) {
                keep = false;
                if (!trailer) {
                    long value = parseLength(in, vs, ve);
                    if (value < 0 || (contentLength >= 0 && value != contentLength)) {
                        throw new MalformedResponse("bad Content-Length");
                    }
                    // Equal duplicates go on once, as the first of them.
                    if (contentLength < 0) {
                        keep = true;
                        lengthLine = count;
                    }
                    contentLength = value;
                    lengthLines++;
                }
            } else if (!trailer && is(in, ls, nameLength, TRANSFER_ENCODING)) {
                keep = false;
                if (!endsWithChunked(in, vs, ve)) {
                    throw new MalformedResponse("Transfer-Encoding other than chunked");
                }
                if (chunked || chunkedBefore(in, vs, ve - CHUNKED.length)) {
                    // RFC 9112, 6.1: one parser would take the data for chunks, another for chunk framing.
                    throw new MalformedResponse("chunked applied more than once");
                }
                chunked = true;
            } else if (is(in, ls, nameLength, CONNECTION)) {
                keep = false;
                readConnection(in, vs, ve);
            } else {
                keep = !hopByHop.matches(in, ls, nameLength);
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
        if (chunked && lengthLine >= 0) {
            // RFC 9112, 6.3: chunked framing wins, and the length must not go on.
            drop(lengthLine);
            contentLength = -1;
        }
        if (named != null) {
            dropNamed(in);
        }
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
                close = true;
            } else if (is(in, ts, tl - ts, KEEP_ALIVE)) {
                keepAlive = true;
            } else if (tl > ts && !is(in, ts, tl - ts, CONTENT_LENGTH)) {
                if (named == null) {
                    named = new ArrayList<>(2);
                }
                named.add(lowerCase(in, ts, tl));
            }
            t = te + 1;
        }
    }

    private void drop(int index) {
        System.arraycopy(lines, (index + 1) * 2, lines, index * 2, (count - index - 1) * 2);
        count--;
    }

    /** Drops the lines whose header a Connection value names. */
    private void dropNamed(byte[] in) {
        int k = 0;
        while (k < count) {
            int ls = lines[k * 2];
            int colon = indexOf(in, ls, lines[k * 2 + 1], ':');
            if (named.contains(lowerCase(in, ls, colon))) {
                drop(k);
            } else {
                k++;
            }
        }
    }

    private static String lowerCase(byte[] in, int from, int to) {
        return new String(in, from, to - from, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
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

    /** Whether a coding in {@code in[from, to)}, a Transfer-Encoding value but for its last coding, is chunked. */
    private static boolean chunkedBefore(byte[] in, int from, int to) {
        for (int ts = skipSpace(in, from, to); ts < to; ) {
            int comma = indexOf(in, ts, to, ',');
            int end = comma < 0 ? to : comma;
            if (is(in, ts, trimSpace(in, ts, end) - ts, CHUNKED)) {
                return true;
            }
            ts = comma < 0 ? to : skipSpace(in, comma + 1, to);
        }
        return false;
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
}
