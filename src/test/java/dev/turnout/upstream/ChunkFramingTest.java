package dev.turnout.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.turnout.base.HopByHop;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each body is fed split at every point (and a byte at a time) and must come out the same: in
 * standard form, or as its data alone for a client that knows no chunks, ending exactly where
 * the body does; a broken one is refused wherever the split falls.
 */
class ChunkFramingTest {

    /** What follows the body on the connection: never part of it. */
    private static final String NEXT = "HTTP/1.1 200 OK\r\n";
    /** The header lines before each body: trailer fields its Connection names go too. */
    private static final String HEADER = "Connection: X-Drop\r\nTransfer-Encoding: chunked\r\n\r\n";

    static Stream<Arguments> bodies() {
        return Stream.of(
                arguments("standard form goes on as read", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
                        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world"),
                arguments("sloppy size lines are written again as HEX CRLF",
                        "5 \r\nhello\n6;name=value\r\n world\r\n3\t; a=\"b\"\nabc\r\n0\n\n",
                        "5\r\nhello\r\n6\r\n world\r\n3\r\nabc\r\n0\r\n\r\n", "hello world" + "abc"),
                arguments("an extension on the last chunk goes", "2\r\nok\r\n0;x=y\r\n\r\n", "2\r\nok\r\n0\r\n\r\n", "ok"),
                arguments("trailers are filtered like header fields",
                        "2\r\nok\r\n0\r\nX-Drop: d\r\nKeep-Alive: timeout=5\r\nContent-Length: 9\r\nX-Kept: k\r\nTrailer: X-Kept\r\n\r\n",
                        "2\r\nok\r\n0\r\nX-Kept: k\r\n\r\n", "ok"),
                arguments("a trailer's own Connection names go too",
                        "2\r\nok\r\n0\r\nConnection: x-t\r\nX-T: t\r\nX-Kept: k\r\n\r\n", "2\r\nok\r\n0\r\nX-Kept: k\r\n\r\n", "ok"),
                arguments("trailers that all go leave the last chunk bare", "0\r\nX-Drop: d\r\n\r\n", "0\r\n\r\n", ""),
                arguments("an empty body", "0\r\n\r\n", "0\r\n\r\n", ""),
                arguments("a large chunk", "1000\r\n" + "x".repeat(4096) + "\r\n0\r\n\r\n",
                        "1000\r\n" + "x".repeat(4096) + "\r\n0\r\n\r\n", "x".repeat(4096)));
    }

    static Stream<Arguments> broken() {
        return Stream.of(
                arguments("5\r\nhello\r\nzz\r\n", "chunk size is not hexadecimal"),
                arguments(";x\r\n", "chunk size is not hexadecimal"),
                arguments("5x\r\n", "chunk size is not hexadecimal"),
                arguments("5\r\nhelloXX", "chunk data not followed by CRLF"),
                arguments("5\r\nhello\rX", "chunk data not followed by CRLF"),
                arguments("5\rX", "chunk size line not ended by CRLF"),
                arguments("1000000000000000\r\n", "chunk size too large"),
                arguments("1;" + "e".repeat(140) + "\r\n", "chunk extension too long"),
                arguments("0\r\nX-T: " + "t".repeat(140) + "\r\n\r\n", "trailer larger than 128 bytes"),
                arguments("0\r\n\r\r", "trailer not ended by CRLF"),
                arguments("2\r\nok\r\n0\r\nX-T: a\rSet-Cookie: injected=1\r\n\r\n", "bare CR, bare LF or NUL in a trailer line"),
                arguments("2\r\nok\r\n0\r\nX-T: a\nSet-Cookie: injected=1\r\n\r\n", "bare CR, bare LF or NUL in a trailer line"),
                arguments("2\r\nok\r\n0\r\nX-T: a\0Set-Cookie: injected=1\r\n\r\n", "bare CR, bare LF or NUL in a trailer line"),
                arguments("0\r\nX-T: a\r\n folded\r\n\r\n", "obsolete line folding in a trailer"),
                arguments("0\r\nX-T a\r\n\r\n", "malformed trailer line"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bodies")
    void everySplitGivesTheSameBody(String name, String body, String framed, String data) throws Exception {
        byte[] bytes = bytes(body + NEXT);
        for (boolean dechunk : new boolean[] {false, true}) {
            for (List<byte[]> pieces : splits(bytes)) {
                Result r = feed(pieces, dechunk);
                assertThat(r.refusal).as("%s split %s", name, sizes(pieces)).isNull();
                assertThat(r.out).as("%s split %s", name, sizes(pieces)).isEqualTo(dechunk ? data : framed);
                assertThat(r.left).as("%s split %s", name, sizes(pieces)).isEqualTo(NEXT);
            }
        }
    }

    @ParameterizedTest(name = "{1}: {0}")
    @MethodSource("broken")
    void aBrokenBodyIsRefusedWhereverItIsSplitAndNoTrailerByteGoesOn(String body, String reason) throws Exception {
        for (List<byte[]> pieces : splits(bytes(body))) {
            Result r = feed(pieces, false);
            assertThat(r.refusal).as("split %s", sizes(pieces)).isEqualTo(reason);
            assertThat(r.out).doesNotContain("injected").doesNotContain("X-T").doesNotEndWith("0\r\n\r\n");
        }
    }

    @Test
    void aStandardSizeLineGoesOnAsReadWhenItCameInOneReadAndIsWrittenAgainWhenSplit() throws Exception {
        byte[] body = bytes("000A\r\n0123456789\r\n0\r\n\r\n");
        assertThat(feed(List.of(body), false).out).isEqualTo("000A\r\n0123456789\r\n0\r\n\r\n");
        List<byte[]> split = List.of(Arrays.copyOfRange(body, 0, 2), Arrays.copyOfRange(body, 2, body.length));
        assertThat(feed(split, false).out).isEqualTo("a\r\n0123456789\r\n0\r\n\r\n");
    }

    /** Whole, split once at every point, and a byte at a time. */
    private static List<List<byte[]>> splits(byte[] bytes) {
        List<List<byte[]>> all = new ArrayList<>();
        for (int at = 0; at <= bytes.length; at++) {
            all.add(List.of(Arrays.copyOfRange(bytes, 0, at), Arrays.copyOfRange(bytes, at, bytes.length)));
        }
        List<byte[]> dribbled = new ArrayList<>();
        for (byte b : bytes) {
            dribbled.add(new byte[] {b});
        }
        all.add(dribbled);
        return all;
    }

    private record Result(String out, String left, String refusal) {}

    /** Feeds the pieces as a connection's reads come: each its own buffer, released once read. */
    private static Result feed(List<byte[]> pieces, boolean dechunk) throws MalformedResponse {
        FieldLines fields = new FieldLines(HopByHop.standard());
        byte[] head = bytes(HEADER);
        fields.readHeader(head, 0, head.length);
        ChunkFraming chunks = new ChunkFraming(fields, 128);
        chunks.begin(dechunk);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ChunkFraming.Sink sink = bytes -> {
            try {
                byte[] copy = new byte[bytes.readableBytes()];
                bytes.readBytes(copy);
                out.writeBytes(copy);
            } finally {
                bytes.release();
            }
            return true;
        };
        StringBuilder left = new StringBuilder();
        boolean done = false;
        for (byte[] piece : pieces) {
            ByteBuf in = Unpooled.copiedBuffer(piece);
            try {
                if (!done) {
                    done = chunks.read(in, sink);
                    if (!done && in.isReadable()) {
                        fail("read stopped before the end of a read without ending the body");
                    }
                }
                left.append(in.toString(StandardCharsets.ISO_8859_1));
            } catch (MalformedResponse e) {
                return new Result(out.toString(StandardCharsets.ISO_8859_1), left.toString(), e.getMessage());
            } finally {
                in.release();
            }
        }
        return new Result(out.toString(StandardCharsets.ISO_8859_1), left.toString(), done ? null : "unfinished");
    }

    private static List<Integer> sizes(List<byte[]> pieces) {
        return pieces.stream().map(p -> p.length).toList();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
