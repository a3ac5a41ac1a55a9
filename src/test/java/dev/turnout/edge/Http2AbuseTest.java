package dev.turnout.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.turnout.testing.BlueGreenTest;
import dev.turnout.testing.LogCapture;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp2;
import dev.turnout.testing.TestCertificates;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Each HTTP/2 abuse limit, attacked over real TLS: the connection (or the stream) ends the way
 * RFC 9113 and today's servers end it, the backend sees a bounded number of requests, and the
 * status counts it.
 */
class Http2AbuseTest extends BlueGreenTest {

    private static final long ENHANCE_YOUR_CALM = 0xb;
    private static final long REFUSED_STREAM = 0x7;

    private ProxyHarness proxy;

    @BeforeEach
    void start() throws Exception {
        TestCertificates.writeLocalhost(dir, "h2");
    }

    @AfterEach
    void stopProxy() {
        if (proxy != null) {
            proxy.close();
        }
    }

    private RawHttp2 connect(String moreYaml) throws Exception {
        proxy = startProxy("tls:\n  listen: 127.0.0.1:0\n  certificates:\n"
                + "    - { cert: " + dir.resolve("h2.crt") + ", key: " + dir.resolve("h2.key") + " }\n" + moreYaml);
        return RawHttp2.tls(https());
    }

    private InetSocketAddress https() {
        return proxy.server().tlsAddress().orElseThrow();
    }

    private long counted(String code) throws Exception {
        var http2 = proxy.admin("GET", "/admin/status").json().get("http2");
        return http2.get("refusals").path(code).asLong(0);
    }

    @Test
    void rapidResetEndsTheConnectionWithEnhanceYourCalmAndBoundsTheBackendWork() throws Exception {
        try (RawHttp2 h2 = connect("")) {
            byte[] headers = h2.block(1, RawHttp2.request("GET", "/slow?ms=5000"));
            ByteArrayOutputStream burst = new ByteArrayOutputStream();
            for (int stream = 1; stream < 2 * 1000; stream += 2) {
                // The same block each time: the encoder's dynamic table was filled by the first, and the
                // literal encoding here does not use it, so every copy decodes alike.
                burst.write(RawHttp2.frameBytes(RawHttp2.HEADERS, RawHttp2.END_HEADERS | RawHttp2.END_STREAM, stream,
                        stream == 1 ? headers : h2.block(stream, RawHttp2.request("GET", "/slow?ms=5000"))));
                burst.write(RawHttp2.frameBytes(RawHttp2.RST_STREAM, 0, stream, new byte[] {0, 0, 0, 8}));
            }
            try {
                h2.write(burst.toByteArray());
            } catch (java.net.SocketException closedMidWrite) {
                // The server may end the connection before it has read the whole burst.
            }
            RawHttp2.Frame goAway = h2.readUntil(RawHttp2.GOAWAY, 0);
            assertThat(goAway).isNotNull();
            assertThat(goAway.errorCode()).isEqualTo(ENHANCE_YOUR_CALM);
            assertThat(h2.closedByServer()).isTrue();
            assertThat(LogCapture.lines()).anyMatch(l -> l.startsWith("WARN Http2Abuse") && l.contains("ENHANCE_YOUR_CALM"));
        }
        // At most the resets allowed per window got as far as a backend, never the thousand sent.
        assertThat(blue.requests()).isLessThanOrEqualTo(201);
        await().until(() -> blue.openConnections() == 0);
        assertThat(counted("ENHANCE_YOUR_CALM")).isEqualTo(1);
    }

    @Test
    void aHeaderBlockPastMaxHeaderListSizeEndsTheConnectionBeforeItIsWhole() throws Exception {
        try (RawHttp2 h2 = connect("http2: { maxHeaderListSize: 4KiB }\n")) {
            byte[] block = h2.block(1, RawHttp2.request("GET", "/x").add("x-big", "v".repeat(3000)));
            h2.frame(RawHttp2.HEADERS, 0, 1, block);
            byte[] filler = new byte[1024];
            Arrays.fill(filler, (byte) 0x40);
            // A header block that never ends, in one write: five times the limit in CONTINUATION frames.
            ByteArrayOutputStream flood = new ByteArrayOutputStream();
            for (int i = 0; i < 20; i++) {
                flood.write(RawHttp2.frameBytes(RawHttp2.CONTINUATION, 0, 1, filler));
            }
            h2.write(flood.toByteArray());
            // The connection ends with PROTOCOL_ERROR once the block passes the limit; whether the GOAWAY
            // itself arrives before the reset of the unread rest is up to TCP, so the count is what is checked.
            assertThat(h2.closedByServer()).isTrue();
        }
        assertThat(counted("PROTOCOL_ERROR")).isEqualTo(1);
        assertThat(blue.requests()).isZero();
    }

    @Test
    void tinyContinuationFramesEndTheConnection() throws Exception {
        try (RawHttp2 h2 = connect("")) {
            byte[] block = h2.block(1, RawHttp2.request("GET", "/x").add("x-a", "b".repeat(100)));
            h2.frame(RawHttp2.HEADERS, 0, 1, Arrays.copyOf(block, 1));
            for (int i = 1; i < block.length && i < 100; i++) {
                try {
                    h2.frame(RawHttp2.CONTINUATION, 0, 1, new byte[] {block[i]});
                } catch (java.net.SocketException closed) {
                    break;
                }
            }
            RawHttp2.Frame goAway = h2.readUntil(RawHttp2.GOAWAY, 0);
            assertThat(goAway).isNotNull();
            assertThat(goAway.errorCode()).isEqualTo(ENHANCE_YOUR_CALM);
        }
        assertThat(blue.requests()).isZero();
    }

    @Test
    void streamsPastMaxConcurrentStreamsAreRefusedAndTheRestAnswered() throws Exception {
        try (RawHttp2 h2 = connect("http2: { maxConcurrentStreams: 3 }\n")) {
            // Wait for the server's SETTINGS, so the limit is in force before the streams open.
            assertThat(h2.readUntil(RawHttp2.SETTINGS, 0)).isNotNull();
            for (int stream = 1; stream <= 9; stream += 2) {
                h2.headers(stream, RawHttp2.request("GET", "/stream?chunks=1&gated=true"), true);
            }
            RawHttp2.Frame refused = h2.readUntil(RawHttp2.RST_STREAM, 0);
            assertThat(refused).isNotNull();
            assertThat(refused.errorCode()).isEqualTo(REFUSED_STREAM);
            assertThat(refused.stream()).isGreaterThan(5);
        }
        assertThat(blue.requests()).isLessThanOrEqualTo(3);
        assertThat(counted("REFUSED_STREAM")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void aPingFloodFromAClientThatReadsNothingEndsTheConnection() throws Exception {
        // Timeouts far away, so that only the flood can end the connection.
        try (RawHttp2 h2 = connect("limits: { headerTimeout: 5m, idleTimeout: 5m }\n")) {
            byte[] ping = RawHttp2.frameBytes(RawHttp2.PING, 0, 0, new byte[8]);
            byte[] burst = new byte[ping.length * 4096];
            for (int i = 0; i < 4096; i++) {
                System.arraycopy(ping, 0, burst, i * ping.length, ping.length);
            }
            boolean closed = false;
            // Acknowledgements pile up on our side while the client reads none; past the control-frame limit the connection ends.
            for (int round = 0; round < 5000 && !closed; round++) {
                try {
                    h2.write(burst);
                } catch (java.net.SocketException e) {
                    closed = true;
                }
            }
            assertThat(closed || h2.closedByServer()).isTrue();
        }
        await().until(() -> counted("ENHANCE_YOUR_CALM") == 1);
    }

    @Test
    void emptyDataFramesInARowEndTheConnection() throws Exception {
        try (RawHttp2 h2 = connect("")) {
            h2.headers(1, RawHttp2.request("POST", "/upload"), false);
            for (int i = 0; i < 10; i++) {
                try {
                    h2.data(1, new byte[0], false);
                } catch (java.net.SocketException closed) {
                    break;
                }
            }
            RawHttp2.Frame goAway = h2.readUntil(RawHttp2.GOAWAY, 0);
            assertThat(goAway).isNotNull();
            assertThat(goAway.errorCode()).isEqualTo(ENHANCE_YOUR_CALM);
        }
    }

    @Test
    void aHeaderBlockLeftUnfinishedEndsTheConnectionAfterTheHeaderTimeout() throws Exception {
        try (RawHttp2 h2 = connect("limits: { headerTimeout: 1s }\n")) {
            byte[] block = h2.block(1, RawHttp2.request("GET", "/x"));
            h2.frame(RawHttp2.HEADERS, 0, 1, Arrays.copyOf(block, block.length / 2));
            // No CONTINUATION ever comes: the server ends the connection on its own.
            assertThat(h2.closedByServer()).isTrue();
        }
        assertThat(blue.requests()).isZero();
    }

    @Test
    void aClientThatSendsOnlyConnectionWindowUpdatesIsNotTakenForOneStuckInAFrame() throws Exception {
        try (RawHttp2 h2 = connect("limits: { headerTimeout: 1s }\n")) {
            h2.headers(1, RawHttp2.request("GET", "/stream?chunks=1&gated=true"), true);
            assertThat(h2.fields(h2.readUntil(RawHttp2.HEADERS, 1)).status().toString()).isEqualTo("200");
            // Three times the header timeout of frames the codec keeps to itself.
            for (int i = 0; i < 30; i++) {
                h2.windowUpdate(0, 1);
                Thread.sleep(100);
            }
            h2.headers(3, RawHttp2.request("GET", "/next"), true);
            RawHttp2.Frame f;
            while ((f = h2.read()) != null && f.type() != RawHttp2.GOAWAY && !(f.type() == RawHttp2.HEADERS && f.stream() == 3)) {
                // The event stream's frames and acknowledgements pass by.
            }
            assertThat(f).isNotNull();
            assertThat(f.type()).isEqualTo(RawHttp2.HEADERS);
            assertThat(h2.fields(f).status().toString()).isEqualTo("200");
        }
    }

    @Test
    void anIdleConnectionGetsGoAwayAfterTheIdleTimeout() throws Exception {
        try (RawHttp2 h2 = connect("limits: { idleTimeout: 1s }\n")) {
            h2.headers(1, RawHttp2.request("GET", "/one"), true);
            Http2Headers head = h2.fields(h2.readUntil(RawHttp2.HEADERS, 1));
            assertThat(head.status().toString()).isEqualTo("200");
            RawHttp2.Frame goAway = h2.readUntil(RawHttp2.GOAWAY, 0);
            assertThat(goAway).isNotNull();
            assertThat(goAway.errorCode()).isZero();
            assertThat(h2.closedByServer()).isTrue();
        }
    }
}
