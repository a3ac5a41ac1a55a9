package dev.turnout.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.turnout.base.HopByHop;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each row: a head's bytes, and what Turnout makes of it (status line and header lines the client
 * gets, framing, and whether the connection may be pooled after it) or why it refuses it.
 */
class HeadParserTest {

    private static final String GET = "GET";
    private static final String HEAD = "HEAD";

    static Stream<Arguments> accepted() {
        return Stream.of(
                ok("a plain answer", GET, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: a\r\n\r\n",
                        "200 LENGTH reusable", "HTTP/1.1 200 OK", "Content-Length: 2", "X-A: a"),
                ok("values are kept as sent, spaces around them included", GET, "HTTP/1.1 200 OK\r\nX-A:  a b \r\nContent-Length:\t2 \r\n\r\n",
                        "200 LENGTH reusable", "HTTP/1.1 200 OK", "X-A:  a b ", "Content-Length:\t2 "),
                ok("no reason phrase", GET, "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
                        "200 LENGTH reusable", "HTTP/1.1 200", "Content-Length: 0"),
                ok("an empty reason phrase", GET, "HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n",
                        "404 LENGTH reusable", "HTTP/1.1 404", "Content-Length: 0"),
                ok("a reason with a tab and obs-text", GET, "HTTP/1.1 200 O\tK \u00e9\r\nContent-Length: 0\r\n\r\n",
                        "200 LENGTH reusable", "HTTP/1.1 200 O\tK \u00e9", "Content-Length: 0"),
                ok("an unregistered status", GET, "HTTP/1.1 999 Odd\r\nContent-Length: 0\r\n\r\n",
                        "999 LENGTH reusable", "HTTP/1.1 999 Odd", "Content-Length: 0"),
                ok("HTTP/1.0 goes on as HTTP/1.1, ended by the close", GET, "HTTP/1.0 200 OK\r\nX-A: a\r\n\r\n",
                        "200 UNTIL_CLOSE closes", "HTTP/1.1 200 OK", "X-A: a"),
                ok("HTTP/1.0 with keep-alive", GET, "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\n",
                        "200 LENGTH reusable", "HTTP/1.1 200 OK", "Content-Length: 2"),
                ok("HTTP/1.0 with keep-alive and close", GET, "HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 2\r\n\r\n",
                        "200 LENGTH closes", "HTTP/1.1 200 OK", "Content-Length: 2"),
                ok("Connection: close", GET, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n",
                        "200 LENGTH closes", "HTTP/1.1 200 OK", "Content-Length: 2"),
                ok("a body ended by the close is never pooled", GET, "HTTP/1.1 200 OK\r\nX-A: a\r\n\r\n",
                        "200 UNTIL_CLOSE closes", "HTTP/1.1 200 OK", "X-A: a"),
                ok("chunked", GET, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: a\r\n\r\n",
                        "200 CHUNKED reusable", "HTTP/1.1 200 OK", "X-A: a"),
                ok("chunked last of several codings", GET, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip , Chunked\r\n\r\n",
                        "200 CHUNKED reusable", "HTTP/1.1 200 OK"),
                ok("with Transfer-Encoding every Content-Length goes", GET,
                        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
                        "200 CHUNKED ambiguous", "HTTP/1.1 200 OK"),
                ok("equal Content-Lengths go on once, as the first", GET,
                        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Between: b\r\ncontent-length: 2\r\n\r\n",
                        "200 LENGTH ambiguous", "HTTP/1.1 200 OK", "Content-Length: 2", "X-Between: b"),
                ok("Connection cannot name Content-Length away", GET,
                        "HTTP/1.1 200 OK\r\nConnection: Content-Length, X-Gone\r\nX-Gone: g\r\nContent-Length: 2\r\n\r\n",
                        "200 LENGTH reusable", "HTTP/1.1 200 OK", "Content-Length: 2"),
                ok("Connection cannot name Transfer-Encoding away", GET,
                        "HTTP/1.1 200 OK\r\nConnection: transfer-encoding\r\nTransfer-Encoding: chunked\r\n\r\n",
                        "200 CHUNKED reusable", "HTTP/1.1 200 OK"),
                ok("names Connection lists go, whatever their case", GET,
                        "HTTP/1.1 200 OK\r\nConnection: x-a , X-B\r\nX-A: a\r\nx-b: b\r\nX-C: c\r\nContent-Length: 0\r\n\r\n",
                        "200 LENGTH reusable", "HTTP/1.1 200 OK", "X-C: c", "Content-Length: 0"),
                ok("hop-by-hop fields go", GET, "HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5\r\nProxy-Connection: x\r\nTE: trailers\r\n"
                                + "Trailer: X-T\r\nUpgrade: h2c\r\nProxy-Authenticate: Basic\r\nX-A: a\r\nContent-Length: 0\r\n\r\n",
                        "200 LENGTH reusable", "HTTP/1.1 200 OK", "X-A: a", "Content-Length: 0"),
                ok("the answer to HEAD has no body, its length goes on", HEAD, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
                        "200 NONE reusable", "HTTP/1.1 200 OK", "Content-Length: 5"),
                ok("the answer to HEAD has no body even when chunked", HEAD, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                        "200 NONE reusable", "HTTP/1.1 200 OK"),
                ok("nor one without length, and its connection stays", HEAD, "HTTP/1.1 200 OK\r\nX-A: a\r\n\r\n",
                        "200 NONE reusable", "HTTP/1.1 200 OK", "X-A: a"),
                ok("ambiguous framing counts for HEAD too", HEAD, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
                        "200 NONE ambiguous", "HTTP/1.1 200 OK", "Content-Length: 5"),
                ok("204 has no body whatever it says", GET, "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
                        "204 NONE reusable", "HTTP/1.1 204 No Content", "Content-Length: 5"),
                ok("304 has no body whatever it says", GET, "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
                        "304 NONE reusable", "HTTP/1.1 304 Not Modified"),
                ok("1xx has no body whatever it says", GET, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\nContent-Length: 5\r\n\r\n",
                        "103 NONE reusable", "HTTP/1.1 103 Early Hints", "Link: </a.css>", "Content-Length: 5"),
                ok("a head cut off before its empty line: the lines there are", GET, "HTTP/1.1 200 OK\r\nX-A: a\r\n",
                        "200 UNTIL_CLOSE closes", "HTTP/1.1 200 OK", "X-A: a"),
                ok("a value with a colon", GET, "HTTP/1.1 200 OK\r\nLocation: http://x/\r\nContent-Length: 0\r\n\r\n",
                        "200 LENGTH reusable", "HTTP/1.1 200 OK", "Location: http://x/", "Content-Length: 0"),
                ok("an empty value", GET, "HTTP/1.1 200 OK\r\nX-Empty:\r\nContent-Length: 0\r\n\r\n",
                        "200 LENGTH reusable", "HTTP/1.1 200 OK", "X-Empty:", "Content-Length: 0"),
                ok("many lines", GET, "HTTP/1.1 200 OK\r\n" + "X-N: n\r\n".repeat(40) + "\r\n",
                        "200 UNTIL_CLOSE closes", Stream.concat(Stream.of("HTTP/1.1 200 OK"), Stream.generate(() -> "X-N: n").limit(40)).toArray(String[]::new)));
    }

    static Stream<Arguments> refused() {
        String bareCrLfNulStatus = "bare CR, bare LF or NUL in the status line";
        String bareCrLfNulHeader = "bare CR, bare LF or NUL in a header line";
        String notStatus = "status line is not HTTP/1.x followed by a status code";
        return Stream.of(
                no("HTTP/1.1 200 OK\rX-A: a\r\n\r\n", bareCrLfNulStatus),
                no("HTTP/1.1 200 OK\nX-A: a\r\n\r\n", bareCrLfNulStatus),
                no("HTTP/1.1 200 O\0K\r\n\r\n", bareCrLfNulStatus),
                no("HTTP/1.1 200 OK\r\nX-A: a\rSet-Cookie: x\r\n\r\n", bareCrLfNulHeader),
                no("HTTP/1.1 200 OK\r\nX-A: a\nSet-Cookie: x\r\n\r\n", bareCrLfNulHeader),
                no("HTTP/1.1 200 OK\r\nX-A: a\0Set-Cookie: x\r\n\r\n", bareCrLfNulHeader),
                no("HTTP/1.1 200 OK\r\nX-A: a\r\n\r\n", "HTTP/1.1 200 OK\r\nX-A: a\r".length(), bareCrLfNulHeader),
                no("HTTP/1.1 200 OK\r\nX-A: a\r\n folded\r\n\r\n", "obsolete line folding in a header"),
                no("HTTP/1.1 200 OK\r\nX-A: a\r\n\tfolded\r\n\r\n", "obsolete line folding in a header"),
                no("HTTP/1.1 200 OK\r\nX-A : a\r\n\r\n", "malformed header line"),
                no("HTTP/1.1 200 OK\r\n: a\r\n\r\n", "malformed header line"),
                no("HTTP/1.1 200 OK\r\nX-A a\r\n\r\n", "malformed header line"),
                no("HTTP/1.1 200 OK\r\nX(A): a\r\n\r\n", "malformed header line"),
                no("HTTP/1.1 200 OK\r\nX-\u00e9: a\r\n\r\n", "malformed header line"),
                no("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n", "bad Content-Length"),
                no("HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\n", "bad Content-Length"),
                no("HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\n", "bad Content-Length"),
                no("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "bad Content-Length"),
                no("HTTP/1.1 200 OK\r\nContent-Length: 0x2\r\n\r\n", "bad Content-Length"),
                no("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", "bad Content-Length"),
                no("HTTP/1.1 200 OK\r\nContent-Length: 1234567890123456789\r\n\r\n", "bad Content-Length"),
                no("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "Transfer-Encoding other than chunked"),
                no("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", "Transfer-Encoding other than chunked"),
                no("HTTP/1.1 200 OK\r\nTransfer-Encoding: xchunked\r\n\r\n", "Transfer-Encoding other than chunked"),
                no("HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n\r\n", "Transfer-Encoding other than chunked"),
                no("HTTP/1.1 204 No Content\r\nTransfer-Encoding: gzip\r\n\r\n", "Transfer-Encoding other than chunked"),
                no("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", "chunked applied more than once"),
                no("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked , gzip, chunked\r\n\r\n", "chunked applied more than once"),
                no("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "Transfer-Encoding in an HTTP/1.0 response"),
                no("HTTP/2.0 200 OK\r\n\r\n", notStatus),
                no("HTTP/1.2 200 OK\r\n\r\n", notStatus),
                no("http/1.1 200 OK\r\n\r\n", notStatus),
                no("HTTP/1.1 20 OK\r\n\r\n", notStatus),
                no("HTTP/1.1 2000 OK\r\n\r\n", notStatus),
                no("HTTP/1.1  200 OK\r\n\r\n", notStatus),
                no("HTTP/1.1 099 Low\r\n\r\n", notStatus),
                no("HTTP/1.1 2x0 OK\r\n\r\n", notStatus),
                no("HTTP/1.1 200\tOK\r\n\r\n", notStatus),
                no("ICY 200 OK\r\n\r\n", notStatus),
                no("\r\n", notStatus),
                no("HTTP/1.1 200 O\u0001K\r\n\r\n", "control character in the reason phrase"),
                no("HTTP/1.1 200 O\u007fK\r\n\r\n", "control character in the reason phrase"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("accepted")
    void acceptsAndFrames(String name, String method, String raw, String verdict, List<String> lines) throws Exception {
        byte[] bytes = bytes(raw);
        ResponseHead head = parser().parse(bytes, bytes.length, HEAD.equals(method));
        assertThat(verdict(head)).isEqualTo(verdict);
        assertThat(linesOut(head)).containsExactlyElementsOf(lines);
    }

    @ParameterizedTest(name = "{2}: {0}")
    @MethodSource("refused")
    void refuses(String shown, int length, String reason) {
        byte[] bytes = bytes(shown.replace("\\r", "\r").replace("\\n", "\n").replace("\\0", "\0"));
        assertThatThrownBy(() -> parser().parse(bytes, length, false)).isInstanceOf(MalformedResponse.class).hasMessage(reason);
    }

    /** Parsing leaves nothing behind that a later head sees: the same parser, many heads, the same answers. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("accepted")
    void aReusedParserAnswersAsAFreshOne(String name, String method, String raw, String verdict, List<String> lines) throws Exception {
        HeadParser reused = parser();
        byte[] noise = bytes("HTTP/1.1 200 OK\r\nConnection: X-A, x-c, close\r\n" + "X-Pad: p\r\n".repeat(50) + "Content-Length: 2\r\nContent-Length: 2\r\n\r\n");
        reused.parse(noise, noise.length, false);
        byte[] bytes = bytes(raw);
        ResponseHead head = reused.parse(bytes, bytes.length, HEAD.equals(method));
        assertThat(verdict(head)).isEqualTo(verdict);
        assertThat(linesOut(head)).containsExactlyElementsOf(lines);
    }

    static HeadParser parser() {
        return new HeadParser(new FieldLines(HopByHop.standard()));
    }

    /** Status, framing, and what may follow on the connection: "reusable", "closes" (the backend's wish) or "ambiguous". */
    static String verdict(ResponseHead head) {
        String next = head.ambiguous() ? "ambiguous" : head.reusable() ? "reusable" : "closes";
        assertThat(head.reusable()).isEqualTo(head.keepAlive() && !head.ambiguous() && head.framing() != BodyFraming.UNTIL_CLOSE);
        return head.status() + " " + head.framing() + " " + next;
    }

    /** The status line and header lines the client gets. */
    static List<String> linesOut(ResponseHead head) {
        ByteBuf out = Unpooled.buffer(head.size());
        try {
            head.writeTo(out);
            assertThat(out.readableBytes()).isLessThanOrEqualTo(head.size());
            String text = out.toString(StandardCharsets.ISO_8859_1);
            assertThat(text).endsWith("\r\n");
            return new ArrayList<>(Arrays.asList(text.substring(0, text.length() - 2).split("\r\n", -1)));
        } finally {
            out.release();
        }
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static Arguments ok(String name, String method, String raw, String verdict, String... lines) {
        return arguments(name, method, raw, verdict, List.of(lines));
    }

    private static Arguments no(String raw, String reason) {
        return no(raw, raw.length(), reason);
    }

    /** Only the first {@code length} bytes given, as when a head ends mid-line; shown escaped, as a test's name must be visible. */
    private static Arguments no(String raw, int length, String reason) {
        return arguments(raw.replace("\r", "\\r").replace("\n", "\\n").replace("\0", "\\0"), length, reason);
    }
}
