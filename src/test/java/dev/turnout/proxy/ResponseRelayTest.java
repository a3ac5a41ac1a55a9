package dev.turnout.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import dev.turnout.testing.ScriptedOrigin;
import dev.turnout.testing.ScriptedOrigin.Script;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Responses relayed as the backend's bytes: framing found across any split of the reads, and refused when broken. */
class ResponseRelayTest {

    private static final String CHUNKED = "HTTP/1.1 200 OK\r\nX-Note: kept\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n";

    @TempDir
    Path dir;

    ScriptedOrigin origin;
    ProxyHarness proxy;

    @BeforeEach
    void start() throws Exception {
        origin = ScriptedOrigin.start();
        proxy = ProxyHarness.start(dir, "pools:\n  blue: { backends: [\"" + origin.address() + "\"] }\n"
                + "  green: { backends: [\"" + origin.address() + "\"] }\nhealth: { interval: 1h }\n");
    }

    @AfterEach
    void stop() {
        proxy.close();
        origin.close();
    }

    @Test
    void aResponseArrivingOneByteAtATimeReachesTheClientWholeAndTheConnectionIsReused() throws Exception {
        origin.on("/dribble", Script.of(CHUNKED).dribbled());
        try (RawHttp client = proxy.client()) {
            for (int i = 0; i < 2; i++) {
                RawHttp.Response r = client.get("/dribble");
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.header("X-Note")).contains("kept");
                assertThat(r.head().chunked()).isTrue();
                assertThat(r.text()).isEqualTo("hello world");
            }
        }
        assertThat(origin.requests()).isEqualTo(2);
        assertThat(origin.connections()).isEqualTo(1);
    }

    @Test
    void anHttp10ClientGetsTheDataOfAChunkedBodyUntilTheConnectionEnds() throws Exception {
        origin.on("/dribble", Script.of(CHUNKED).dribbled());
        try (RawHttp client = proxy.client()) {
            client.send("GET /dribble HTTP/1.0\r\n\r\n");
            RawHttp.Head head = client.readHead();
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("Transfer-Encoding")).isEmpty();
            assertThat(head.header("Connection")).contains("close");
            assertThat(new String(client.input().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("hello world");
        }
    }

    @Test
    void aBodyEndedByTheBackendClosingReachesAnHttp11ClientInChunksOnAConnectionThatStays() throws Exception {
        origin.on("/eof", Script.of("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nstreamed until the end").thenClose());
        try (RawHttp client = proxy.client()) {
            for (int i = 0; i < 2; i++) {
                RawHttp.Response r = client.get("/eof");
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.head().chunked()).isTrue();
                assertThat(r.text()).isEqualTo("streamed until the end");
            }
        }
        assertThat(origin.connections()).isEqualTo(2);
    }

    @Test
    void bytesBeyondTheFramedBodyKeepThatConnectionOutOfThePool() throws Exception {
        origin.on("/extra", Script.of("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"));
        try (RawHttp client = proxy.client()) {
            assertThat(client.get("/extra").text()).isEqualTo("ok");
            assertThat(client.get("/extra").text()).isEqualTo("ok");
        }
        assertThat(origin.connections()).isEqualTo(2);
    }

    @Test
    void anInterimAnswerGoesOnBeforeTheFinalOne() throws Exception {
        origin.on("/early", Script.of("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        try (RawHttp client = proxy.client()) {
            client.send("GET /early HTTP/1.1\r\nHost: t\r\n\r\n");
            RawHttp.Head interim = client.readHead();
            assertThat(interim.status()).isEqualTo(103);
            assertThat(interim.header("Link")).contains("</a.css>; rel=preload");
            RawHttp.Head head = client.readHead();
            assertThat(head.status()).isEqualTo(200);
            assertThat(new String(client.readBody(head, false), StandardCharsets.US_ASCII)).isEqualTo("ok");
        }
    }

    @Test
    void aHeadTooLargeOrAnUnknownTransferCodingIs502() throws Exception {
        origin.on("/big", Script.of("HTTP/1.1 200 OK\r\nX-Big: " + "a".repeat(40_000) + "\r\nContent-Length: 2\r\n\r\nok"));
        origin.on("/gzip", Script.of("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzzzz").thenClose());
        try (RawHttp client = proxy.client()) {
            RawHttp.Response big = client.get("/big");
            assertThat(big.status()).isEqualTo(502);
            assertThat(ProxyHarness.json(big).get("detail").asText()).isEqualTo("invalid response: head larger than 32768 bytes");
            RawHttp.Response gzip = client.get("/gzip");
            assertThat(gzip.status()).isEqualTo(502);
            assertThat(ProxyHarness.json(gzip).get("detail").asText()).isEqualTo("invalid response: Transfer-Encoding other than chunked");
        }
    }

    @Test
    void aChunkFramingErrorMidBodyCutsTheClientOffWithoutALastChunk() throws Exception {
        origin.on("/broken", Script.of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n"));
        try (RawHttp client = proxy.client()) {
            client.send("GET /broken HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(client.readHead().status()).isEqualTo(200);
            String rest = new String(client.input().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(rest).doesNotContain("0\r\n\r\n");
        }
    }
}
