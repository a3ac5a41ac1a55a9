package dev.turnout.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.base.HopByHop;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A connection's reads through the parser: where a response ends, and whether the connection is in step after it. */
class ResponseParserTest {

    private final ResponseParser parser = new ResponseParser(HopByHop.standard());
    private final List<String> events = new ArrayList<>();
    private final Recorder listener = new Recorder();

    /** Notes what it hears; may let go of the parser at the first body part, as an exchange whose client left. */
    private final class Recorder implements ResponseParser.Listener {
        boolean stopAtBody;

        @Override
        public void onResponseHead(ResponseHead head) {
            events.add("head " + head.status() + " " + head.framing());
        }

        @Override
        public void onResponseBody(ByteBuf bytes) {
            events.add("body " + bytes.toString(StandardCharsets.ISO_8859_1));
            bytes.release();
            if (stopAtBody) {
                parser.stop();
            }
        }

        @Override
        public void onResponseEnd(HttpHeaders trailers) {
            events.add(trailers.isEmpty() ? "end" : "end " + trailers.entries());
        }

        @Override
        public void onResponseInvalid(String reason) {
            events.add(reason);
        }
    }

    @Test
    void theAnswerToHeadAnd204And304EndAtTheirHeadAndLeaveTheConnectionInStep() {
        read(true, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
        assertThat(events).containsExactly("head 200 NONE", "end");
        assertThat(parser.clean()).isTrue();
        read(false, "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n");
        assertThat(events).containsExactly("head 204 NONE", "end");
        assertThat(parser.clean()).isTrue();
        read(false, "HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n");
        assertThat(events).containsExactly("head 304 NONE", "end");
        assertThat(parser.clean()).isTrue();
    }

    @Test
    void bytesAfterABodylessAnswerPutTheConnectionOutOfStep() {
        read(false, "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
        assertThat(events).containsExactly("head 204 NONE", "end");
        assertThat(parser.clean()).isFalse();
    }

    @Test
    void interimAnswersComeBeforeTheFinalOne() {
        read(false, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        assertThat(events).containsExactly("head 100 NONE", "head 103 NONE", "head 200 LENGTH", "body ok", "end");
        assertThat(parser.clean()).isTrue();
    }

    @Test
    void ambiguousFramingInAnyHeadOfTheResponseKeepsTheConnectionOutOfThePool() {
        read(false, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok");
        assertThat(parser.clean()).isFalse();
        read(false, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
        assertThat(parser.clean()).isFalse();
        read(false, "HTTP/1.1 103 Early Hints\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        assertThat(parser.clean()).isFalse();
        read(false, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        assertThat(parser.clean()).isTrue();
    }

    @Test
    void aBodyEndedByTheCloseEndsWhenTheConnectionDoes() {
        read(false, "HTTP/1.1 200 OK\r\n\r\nstreamed");
        assertThat(parser.closed()).isTrue();
        assertThat(events).containsExactly("head 200 UNTIL_CLOSE", "body streamed", "end");
    }

    @Test
    void afterA101TheBytesAreAnotherProtocolsHandedOnUntilTheConnectionEnds() {
        read(false, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\u0081\u0002hi");
        feed("HTTP/1.1 200 OK\r\n\r\n");
        assertThat(events).containsExactly("head 101 NONE", "body \u0081\u0002hi", "body HTTP/1.1 200 OK\r\n\r\n");
        // Its close is the end of the tunnel, not of a body: the exchange hears it as a close.
        assertThat(parser.closed()).isFalse();
        assertThat(parser.clean()).isFalse();
    }

    @Test
    void aHeadSplitAtAnyPointIsReadOnce() {
        String response = "\r\nHTTP/1.1 200 OK\r\nX-A: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n";
        for (int at = 0; at <= response.length(); at++) {
            events.clear();
            parser.begin(listener, false, true);
            feed(response.substring(0, at));
            feed(response.substring(at));
            assertThat(String.join("", events).replace("body ", "")).as("split at %d", at).isEqualTo("head 200 CHUNKEDokend");
            assertThat(parser.clean()).isTrue();
        }
    }

    @Test
    void emptyLinesBeforeTheStatusLineCountAgainstTheHeadLimit() {
        String head = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        read(false, "\r\n\r\n" + head);
        assertThat(events).containsExactly("head 200 LENGTH", "end");
        events.clear();
        parser.begin(listener, false, false);
        for (int i = 0; i < 20; i++) {
            feed("\r\n".repeat(1000));
        }
        feed(head);
        assertThat(events).containsExactly("invalid response: head larger than 32768 bytes");
    }

    @Test
    void dechunkedBodiesHandTheirTrailersOverFilteredWithLowerCaseNames() {
        parser.begin(listener, false, true);
        feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nGrpc-Status:  0 \r\nContent-Length: 9\r\nConnection: x\r\n\r\n");
        assertThat(events).containsExactly("head 200 CHUNKED", "body ok", "end [grpc-status=0]");
        assertThat(parser.clean()).isTrue();
    }

    @Test
    void aListenerThatLetsGoMidBodyHearsNoMore() {
        listener.stopAtBody = true;
        parser.begin(listener, false, true);
        feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n2\r\nzz\r\n0\r\n\r\n");
        assertThat(events).containsExactly("head 200 CHUNKED", "body ok");
        assertThat(parser.clean()).isFalse();
    }

    private void read(boolean headRequest, String bytes) {
        events.clear();
        parser.begin(listener, headRequest, false);
        feed(bytes);
    }

    private void feed(String bytes) {
        parser.feed(Unpooled.copiedBuffer(bytes, StandardCharsets.ISO_8859_1));
    }
}
