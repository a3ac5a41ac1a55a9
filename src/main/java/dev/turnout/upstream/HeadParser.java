package dev.turnout.upstream;

import static dev.turnout.upstream.HeadBytes.digit;
import static dev.turnout.upstream.HeadBytes.lineFeed;

/**
 * A response head, whole in an array, read into a {@link ResponseHead}: the status, how the body
 * is framed, whether the connection may carry another request, and which header lines may cross
 * the proxy. The same bytes and the same request method give the same answer; what it keeps
 * between heads is only the reused line offsets of its {@link FieldLines}.
 */
final class HeadParser {

    private final FieldLines fields;

    HeadParser(FieldLines fields) {
        this.fields = fields;
    }

    /**
     * Reads the head in {@code in[0, length)}, from its status line to the empty line that ends it.
     * The head returned points into {@code in} and into reused offsets: valid until the next call.
     *
     * @param headRequest the request was HEAD: the response has no body whatever its head says
     */
    ResponseHead parse(byte[] in, int length, boolean headRequest) throws MalformedResponse {
        int lineEnd = lineFeed(in, 0, length);
        if (lineEnd < 0) {
            throw new MalformedResponse("bare CR, bare LF or NUL in the status line");
        }
        int statusEnd = lineEnd - 1;
        // HTTP/1.x SP 3DIGIT [SP reason]
        if (statusEnd < 12 || !startsWithHttp1(in) || in[8] != ' ') {
            throw notStatusLine();
        }
        byte minor = in[7];
        int status = digit(in, 9) * 100 + digit(in, 10) * 10 + digit(in, 11);
        if ((minor != '0' && minor != '1') || status < 100 || status > 999 || (statusEnd > 12 && in[12] != ' ')) {
            throw notStatusLine();
        }
        int reasonStart = Math.min(13, statusEnd);
        if (!isReason(in, reasonStart, statusEnd)) {
            throw new MalformedResponse("control character in the reason phrase");
        }
        fields.readHeader(in, lineEnd + 1, length);
        boolean http11 = minor == '1';
        if (!http11 && fields.chunked()) {
            // An HTTP/1.0 recipient knows no chunks: it would read the framing as data.
            throw new MalformedResponse("Transfer-Encoding in an HTTP/1.0 response");
        }
        boolean keepAlive = http11 ? !fields.close() : fields.keepAlive() && !fields.close();
        return new ResponseHead(in, length, status, framing(status, headRequest), keepAlive, fields.ambiguous(),
                fields.contentLength(), reasonStart, statusEnd, fields.lines(), fields.count());
    }

    private BodyFraming framing(int status, boolean headRequest) {
        if (status < 200 || status == 204 || status == 304 || headRequest) {
            return BodyFraming.NONE;
        }
        if (fields.chunked()) {
            return BodyFraming.CHUNKED;
        }
        return fields.contentLength() >= 0 ? BodyFraming.LENGTH : BodyFraming.UNTIL_CLOSE;
    }

    private static MalformedResponse notStatusLine() {
        return new MalformedResponse("status line is not HTTP/1.x followed by a status code");
    }

    private static boolean startsWithHttp1(byte[] in) {
        return in[0] == 'H' && in[1] == 'T' && in[2] == 'T' && in[3] == 'P' && in[4] == '/' && in[5] == '1' && in[6] == '.';
    }

    /** RFC 9112, 4: HTAB, SP, visible characters and obs-text; no other control character. */
    private static boolean isReason(byte[] in, int from, int to) {
        for (int i = from; i < to; i++) {
            byte b = in[i];
            if ((b >= 0 && b < ' ' && b != '\t') || b == 0x7f) {
                return false;
            }
        }
        return true;
    }
}
