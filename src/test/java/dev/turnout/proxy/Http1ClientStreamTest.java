package dev.turnout.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.base.HopByHop;
import dev.turnout.upstream.ResponseHead;
import dev.turnout.upstream.ResponseParser;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP/1.x client stream on an {@link EmbeddedChannel}: the bytes a client gets for each way a
 * backend frames its answer, and what the stream tells its connection. Heads and bodies come from
 * the response parser fed the backend's bytes, as on a real upstream connection.
 */
class Http1ClientStreamTest {

    private final EmbeddedChannel channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
    private final ChannelHandlerContext ctx = channel.pipeline().firstContext();
    private final RecordingConnection connection = new RecordingConnection();
    private final Http1ClientStream stream = new Http1ClientStream(connection, ctx, Listener.NO_HSTS);

    @AfterEach
    void closeChannel() {
        channel.finishAndReleaseAll();
    }

    @Test
    void aLengthFramedAnswerGoesOnAsTheBackendsBytesWithoutHopByHopLines() {
        String out = relay(HttpVersion.HTTP_1_1, false,
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=5\r\nX-App: 1\r\n\r\nok");
        assertThat(out).isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-App: 1\r\n\r\nok");
        assertThat(connection.events).containsExactly("complete close=false");
    }

    @Test
    void aBodyEndedByClosingReachesAnHttp11ClientInChunksWeFrame() {
        String out = relay(HttpVersion.HTTP_1_1, false, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nabc");
        assertThat(out).isEqualTo("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
        assertThat(connection.events).containsExactly("complete close=false");
    }

    @Test
    void aChunkedBodyReachesAnHttp10ClientAsDataEndedByClosing() {
        String out = relay(HttpVersion.HTTP_1_0, true,
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
        assertThat(out).isEqualTo("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nabcde");
        assertThat(connection.events).containsExactly("complete close=true");
    }

    @Test
    void anHttp10ClientThatAskedForKeepAliveIsToldItHasIt() {
        String out = relay(HttpVersion.HTTP_1_0, true, "HTTP/1.1 204 No Content\r\n\r\n");
        assertThat(out).isEqualTo("HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n");
        assertThat(connection.events).containsExactly("complete close=false");
    }

    @Test
    void anAnswerWhileTheRequestBodyIsStillComingEndsTheConnection() {
        stream.begin(request(HttpVersion.HTTP_1_1, false));
        parse(false, "HTTP/1.1 413 Too Large\r\nContent-Length: 0\r\n\r\n", true);
        assertThat(written()).isEqualTo("HTTP/1.1 413 Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        assertThat(connection.events).containsExactly("complete close=true");
    }

    @Test
    void anInterimHeadGoesOnAheadOfTheFinalOne() {
        String out = relay(HttpVersion.HTTP_1_1, false,
                "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        assertThat(out).isEqualTo("HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    }

    @Test
    void anHttp10ClientGetsNoInterimHead() {
        String out = relay(HttpVersion.HTTP_1_0, false,
                "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        assertThat(out).isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    }

    @Test
    void turnoutsOwnAnswerClosesWhenTheClientAskedForItOrItsBodyIsStillComing() {
        stream.begin(request(HttpVersion.HTTP_1_1, false));
        stream.answer(Refusal.badGateway("connection refused").at("blue", "127.0.0.1:1"), false);
        stream.begin(request(HttpVersion.HTTP_1_1, false));
        stream.answer(Refusal.requestTimeout("request body stalled for 1m").at("blue", null), true);
        assertThat(connection.events).containsExactly(
                "answer 502 {\"error\":\"bad_gateway\",\"pool\":\"blue\",\"backend\":\"127.0.0.1:1\",\"detail\":\"connection refused\"} close=false",
                "answer 408 {\"error\":\"request_timeout\",\"pool\":\"blue\",\"detail\":\"request body stalled for 1m\"} close=true");
    }

    @Test
    void anAbortedAnswerClosesTheConnectionWithoutEndingTheBody() {
        stream.begin(request(HttpVersion.HTTP_1_1, false));
        parse(false, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", false);
        stream.abort();
        assertThat(written()).isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
        assertThat(connection.events).containsExactly("close after flush");
    }

    @Test
    void aSwitchToWebSocketSendsThe101WithItsUpgradeLinesAndPassesWhatFollowsUnread() {
        stream.begin(request(HttpVersion.HTTP_1_1, false));
        parse(false, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\u0081\u0002hi", false);
        assertThat(written()).isEqualTo("HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                + "Upgrade: websocket\r\nConnection: upgrade\r\n\r\n\u0081\u0002hi");
        assertThat(connection.events).containsExactly("tunnel");
    }

    /** Begins an exchange for a GET of {@code version} and relays the backend's {@code response} whole. */
    private String relay(HttpVersion version, boolean keepAlive10, String response) {
        stream.begin(request(version, keepAlive10));
        parse(false, response, false);
        return written();
    }

    private static DefaultHttpRequest request(HttpVersion version, boolean keepAlive10) {
        DefaultHttpRequest request = new DefaultHttpRequest(version, HttpMethod.GET, "/");
        if (keepAlive10) {
            request.headers().set("Connection", "keep-alive");
        }
        return request;
    }

    /** Feeds the backend's bytes to a parser whose listener is the exchange's part of the relay, then closes the backend. */
    private void parse(boolean headRequest, String response, boolean requestBodyPending) {
        ResponseParser parser = new ResponseParser(HopByHop.standard());
        parser.begin(new ResponseParser.Listener() {
            @Override
            public void onResponseHead(ResponseHead head) {
                if (head.status() == 101) {
                    stream.tunnel(head);
                } else if (head.status() < 200) {
                    stream.interim(head);
                } else {
                    stream.head(head, requestBodyPending);
                }
            }

            @Override
            public void onResponseBody(ByteBuf bytes) {
                stream.body(bytes);
            }

            @Override
            public void onResponseEnd(HttpHeaders trailers) {
                stream.end(trailers);
            }

            @Override
            public void onResponseInvalid(String reason) {
                throw new AssertionError(reason);
            }
        }, headRequest, !stream.takesChunkedBytes());
        parser.feed(Unpooled.copiedBuffer(response, StandardCharsets.ISO_8859_1));
        parser.closed();
        parser.stop();
    }

    private String written() {
        stream.flush();
        StringBuilder text = new StringBuilder();
        ByteBuf out;
        while ((out = channel.readOutbound()) != null) {
            text.append(out.toString(StandardCharsets.ISO_8859_1));
            out.release();
        }
        return text.toString();
    }

    private static final class RecordingConnection implements Http1ClientStream.Connection {
        final List<String> events = new ArrayList<>();

        @Override
        public void exchangeComplete(boolean close) {
            events.add("complete close=" + close);
        }

        @Override
        public void answer(FullHttpResponse response, boolean close) {
            HttpResponseStatus status = response.status();
            events.add("answer " + status.code() + " " + response.content().toString(StandardCharsets.UTF_8).strip() + " close=" + close);
            response.release();
        }

        @Override
        public void closeAfterFlush() {
            events.add("close after flush");
        }

        @Override
        public void closeNow() {
            events.add("close now");
        }

        @Override
        public void readMore() {
            events.add("read");
        }

        @Override
        public void tickWithin(long nanos) {
            events.add("tick");
        }

        @Override
        public void tunnel() {
            events.add("tunnel");
        }

        @Override
        public boolean shutdownOutput() {
            events.add("shutdown output");
            return true;
        }
    }
}
