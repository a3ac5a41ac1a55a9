package dev.turnout.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import dev.turnout.testing.ScriptedOrigin;
import dev.turnout.testing.ScriptedOrigin.Script;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
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
        proxy = ProxyHarness.start(dir, pools());
    }

    private String pools() {
        return "pools:\n  blue: { backends: [\"" + origin.address() + "\"] }\n"
                + "  green: { backends: [\"" + origin.address() + "\"] }\nhealth: { interval: 1h }\n";
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

    @Test
    void aBareCrABareLfOrANulInAHeaderValueOrTheReasonIs502AndNoLineOfItReachesTheClient() throws Exception {
        String rest = "Set-Cookie: injected=1\r\nContent-Length: 2\r\n\r\nok";
        List<String> heads = List.of(
                "HTTP/1.1 200 OK\r\nX-A: a\r" + rest,
                "HTTP/1.1 200 OK\r\nX-A: a\n" + rest,
                "HTTP/1.1 200 OK\r\nX-A: a\0" + rest,
                "HTTP/1.1 200 OK\r" + rest,
                "HTTP/1.1 200 OK\n" + rest);
        for (int i = 0; i < heads.size(); i++) {
            origin.on("/bad" + i, Script.of(heads.get(i)));
        }
        try (RawHttp client = proxy.client()) {
            for (int i = 0; i < heads.size(); i++) {
                RawHttp.Response r = client.get("/bad" + i);
                assertThat(r.status()).as(heads.get(i)).isEqualTo(502);
                assertThat(r.head().headers()).noneMatch(h -> (h[0] + h[1]).contains("injected"));
                assertThat(r.text()).doesNotContain("injected");
                assertThat(ProxyHarness.json(r).get("detail").asText())
                        .startsWith("invalid response: bare CR, bare LF or NUL in " + (i < 3 ? "a header line" : "the status line"));
            }
        }
        // Each refused answer took its connection with it.
        assertThat(origin.connections()).isEqualTo(heads.size());
    }

    @Test
    void framingIsTurnoutsOneContentLengthNoneBesideTransferEncodingAndNoneRemovedByConnection() throws Exception {
        origin.on("/both", Script.of("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhello\r\n0\r\n\r\n"));
        origin.on("/twice", Script.of("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Between: b\r\ncontent-length: 2\r\n\r\nok"));
        origin.on("/named", Script.of("HTTP/1.1 200 OK\r\nConnection: Content-Length, X-Gone\r\nX-Gone: g\r\nContent-Length: 2\r\n\r\nok"));
        origin.on("/disagree", Script.of("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok"));
        try (RawHttp client = proxy.client()) {
            RawHttp.Response both = client.get("/both");
            assertThat(both.head().all("Content-Length")).isEmpty();
            assertThat(both.head().all("Transfer-Encoding")).containsExactly("chunked");
            assertThat(both.text()).isEqualTo("hello");

            RawHttp.Response twice = client.get("/twice");
            assertThat(twice.head().all("Content-Length")).containsExactly("2");
            assertThat(twice.header("X-Between")).contains("b");

            // Read as a pipelining client would: the length line must be there to find where the next answer starts.
            client.send("GET /named HTTP/1.1\r\nHost: t\r\n\r\nGET /twice HTTP/1.1\r\nHost: t\r\n\r\n");
            RawHttp.Head named = client.readHead();
            assertThat(named.all("Content-Length")).containsExactly("2");
            assertThat(named.header("X-Gone")).isEmpty();
            assertThat(new String(client.readBody(named, false), StandardCharsets.US_ASCII)).isEqualTo("ok");
            assertThat(client.read(false).text()).isEqualTo("ok");

            RawHttp.Response disagree = client.get("/disagree");
            assertThat(disagree.status()).isEqualTo(502);
            assertThat(ProxyHarness.json(disagree).get("detail").asText()).isEqualTo("invalid response: bad Content-Length");
            assertThat(client.get("/twice").text()).isEqualTo("ok");
        }
        // Framing another parser could read otherwise (/both, each /twice) and the refused answer each
        // take their connection with them; only /named's carries the next request.
        assertThat(origin.connections()).isEqualTo(5);
    }

    @Test
    void chunkSizeLinesEndingInABareLfOrCarryingSpacesOrExtensionsAreWrittenAgainInStandardForm() throws Exception {
        String sloppy = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5 \r\nhello\n6;name=value\r\n world\r\n3\t; a=\"b\"\nabc\r\n0\n\n";
        origin.on("/sloppy", Script.of(sloppy));
        origin.on("/sloppy-dribbled", Script.of(sloppy).dribbled());
        assertChunkedBodiesOnOneConnection(List.of("/sloppy", "/sloppy-dribbled", "/sloppy"),
                "5\r\nhello\r\n6\r\n world\r\n3\r\nabc\r\n0\r\n\r\n");
    }

    /** Each path's body is exactly {@code body}, chunk framing included, and the backend's connection stays in step for the next. */
    private void assertChunkedBodiesOnOneConnection(List<String> paths, String body) throws Exception {
        try (RawHttp client = proxy.client()) {
            for (String path : paths) {
                client.send("GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n");
                assertThat(client.readHead().chunked()).isTrue();
                assertThat(new String(client.input().readNBytes(body.length()), StandardCharsets.US_ASCII)).as(path).isEqualTo(body);
            }
        }
        assertThat(origin.connections()).isEqualTo(1);
    }

    @Test
    void requestTrailerFieldsAreFilteredLikeRequestHeaders() throws Exception {
        origin.on("/upload", Script.of("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
        try (RawHttp client = proxy.client()) {
            client.send("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n"
                    + "X-Forwarded-For: 6.6.6.6\r\nX_Real_IP: 6.6.6.6\r\nConnection: close\r\nContent-Length: 5\r\nHost: evil\r\n"
                    + "X-Checksum: abc\r\n\r\n");
            assertThat(client.read(false).status()).isEqualTo(200);
        }
        assertThat(origin.lastChunkedBody()).isEqualTo("2\r\nok\r\n0\r\nX-Checksum: abc\r\n\r\n");
    }

    @Test
    void trailerFieldsAreFilteredLikeHeaderFields() throws Exception {
        String body = "2\r\nok\r\n0\r\nX-Drop: d\r\nKeep-Alive: timeout=5\r\nContent-Length: 9\r\nX-Kept: k\r\nTrailer: X-Kept\r\n\r\n";
        origin.on("/trailers", Script.of("HTTP/1.1 200 OK\r\nConnection: X-Drop\r\nTransfer-Encoding: chunked\r\n\r\n" + body));
        origin.on("/trailers-dribbled", Script.of("HTTP/1.1 200 OK\r\nConnection: X-Drop\r\nTransfer-Encoding: chunked\r\n\r\n" + body).dribbled());
        assertChunkedBodiesOnOneConnection(List.of("/trailers", "/trailers-dribbled", "/trailers"), "2\r\nok\r\n0\r\nX-Kept: k\r\n\r\n");
    }

    @Test
    void aTrailerLineWithABareCrABareLfOrANulCutsTheAnswerShortAndNeverReachesTheClient() throws Exception {
        List<String> bad = List.of("X-T: a\rSet-Cookie: injected=1\r\n", "X-T: a\nSet-Cookie: injected=1\r\n", "X-T: a\0Set-Cookie: injected=1\r\n");
        for (int i = 0; i < bad.size(); i++) {
            origin.on("/bad" + i, Script.of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n" + bad.get(i) + "\r\n"));
        }
        for (int i = 0; i < bad.size(); i++) {
            try (RawHttp client = proxy.client()) {
                client.send("GET /bad" + i + " HTTP/1.1\r\nHost: t\r\n\r\n");
                assertThat(client.readHead().status()).isEqualTo(200);
                String rest = new String(client.input().readAllBytes(), StandardCharsets.ISO_8859_1);
                // At most the data chunk: no last chunk, so the client knows the answer is cut short, and no trailer byte.
                assertThat("2\r\nok").as(bad.get(i)).startsWith(rest);
            }
        }
        assertThat(origin.connections()).isEqualTo(bad.size());
    }

    @Test
    void emptyLinesBeforeTheStatusLineCountAgainstTheHeadLimit() throws Exception {
        String head = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        origin.on("/few", Script.of("\r\n\r\n" + head));
        origin.on("/endless", Script.of("\r\n".repeat(20_000) + head));
        try (RawHttp client = proxy.client()) {
            assertThat(client.get("/few").text()).isEqualTo("ok");
            RawHttp.Response endless = client.get("/endless");
            assertThat(endless.status()).isEqualTo(502);
            assertThat(ProxyHarness.json(endless).get("detail").asText()).isEqualTo("invalid response: head larger than 32768 bytes");
        }
    }

    @Test
    void aHeadMustArriveWholeWithinFirstByteTimeoutAndAfterItReadTimeoutBoundsTheGaps() throws Exception {
        origin.on("/drip", Script.of("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").dribbledEvery(300));
        origin.on("/stall", Script.of("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf"));
        origin.on("/ok", Script.of("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        try (ProxyHarness timed = ProxyHarness.start(dir.resolve("timed"), pools() + "upstream: { firstByteTimeout: 1s, readTimeout: 2s }\n")) {
            try (RawHttp client = timed.client()) {
                RawHttp.Response r = client.get("/drip");
                assertThat(r.status()).isEqualTo(504);
                assertThat(ProxyHarness.json(r).get("error").asText()).isEqualTo("gateway_timeout");
                assertThat(ProxyHarness.json(r).get("detail").asText()).isEqualTo("no complete response head within 1s (firstByteTimeout)");
                assertThat(client.get("/ok").text()).isEqualTo("ok");
            }
            assertThat(origin.connections()).isEqualTo(2);
            try (RawHttp client = timed.client()) {
                client.send("GET /stall HTTP/1.1\r\nHost: t\r\n\r\n");
                assertThat(client.readHead().status()).isEqualTo(200);
                assertThat(new String(client.input().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("half");
            }
        }
    }
}
