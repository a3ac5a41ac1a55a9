package dev.turnout.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import dev.turnout.testing.TestOrigin;
import java.nio.file.Path;
import java.util.Collections;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Ambiguous or malformed requests are refused and the connection closed, before any byte reaches a backend. */
class StrictParsingTest {

    @TempDir
    static Path dir;

    static TestOrigin blue;
    static TestOrigin green;
    static ProxyHarness proxy;

    @BeforeAll
    static void start() throws Exception {
        blue = TestOrigin.start("blue");
        green = TestOrigin.start("green");
        proxy = ProxyHarness.start(dir, ProxyHarness.twoPools(blue, green)
                + "limits: { maxRequestLine: 1KiB, maxHeaderBytes: 4KiB, maxBodyBytes: 1000 }\n");
    }

    @AfterAll
    static void stop() {
        proxy.close();
        blue.close();
        green.close();
    }

    static Stream<Arguments> refused() {
        String big = "x".repeat(2000);
        return Stream.of(
                Arguments.of("CL and TE", 400, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("two Content-Length values", 400, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
                Arguments.of("repeated equal Content-Length", 400, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"),
                Arguments.of("Content-Length list", 400, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5, 5\r\n\r\nhello"),
                Arguments.of("final coding not chunked", 400, "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n"),
                Arguments.of("unknown coding xchunked", 400, "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("TE on HTTP/1.0", 400, "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("space before colon", 400, "GET / HTTP/1.1\r\nHost: t\r\nX-Name : v\r\n\r\n"),
                Arguments.of("obsolete line folding", 400, "GET / HTTP/1.1\r\nHost: t\r\nX-Long: a\r\n  folded\r\n\r\n"),
                Arguments.of("tab folding", 400, "GET / HTTP/1.1\r\nHost: t\r\nX-Long: a\r\n\tfolded\r\n\r\n"),
                Arguments.of("control char in value", 400, "GET / HTTP/1.1\r\nHost: t\r\nX-Bad: a\u0001b\r\n\r\n"),
                Arguments.of("invalid char in name", 400, "GET / HTTP/1.1\r\nHost: t\r\nX(Bad): v\r\n\r\n"),
                Arguments.of("malformed chunk size", 400, "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"),
                Arguments.of("request line without version", 400, "GET /\r\nHost: t\r\n\r\n"),
                Arguments.of("request line with extra part", 400, "GET / HTTP/1.1 extra\r\nHost: t\r\n\r\n"),
                Arguments.of("request line with two spaces", 400, "GET  / HTTP/1.1\r\nHost: t\r\n\r\n"),
                Arguments.of("unknown version", 505, "GET / HTTP/7.5\r\nHost: t\r\n\r\n"),
                Arguments.of("missing Host on HTTP/1.1", 400, "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n"),
                Arguments.of("two Host headers", 400, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
                Arguments.of("unsupported expectation", 417, "POST / HTTP/1.1\r\nHost: t\r\nExpect: teapot\r\nContent-Length: 1\r\n\r\nx"),
                Arguments.of("request line too long", 414, "GET /" + big + " HTTP/1.1\r\nHost: t\r\n\r\n"),
                Arguments.of("headers too large", 431, "GET / HTTP/1.1\r\nHost: t\r\n" + ("X-Pad: " + big + "\r\n").repeat(3) + "\r\n"),
                Arguments.of("declared body too large", 413, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1001\r\n\r\n"),
                Arguments.of("more header fields than limits.maxHeaders", 431, "GET / HTTP/1.1\r\nHost: t\r\n" + "X-H: v\r\n".repeat(100) + "\r\n"),
                Arguments.of("control byte in the target", 400, "GET /a\u0001b HTTP/1.1\r\nHost: t\r\n\r\n"),
                Arguments.of("NUL in the target", 400, "GET /a\u0000b HTTP/1.1\r\nHost: t\r\n\r\n"),
                Arguments.of("DEL in the target", 400, "GET /a\u007fb HTTP/1.1\r\nHost: t\r\n\r\n"),
                Arguments.of("VT between the parts", 400, "GET\u000b/ HTTP/1.1\r\nHost: t\r\n\r\n"),
                Arguments.of("bare CR between the parts", 400, "GET /a\r HTTP/1.1\r\nHost: t\r\n\r\n"),
                Arguments.of("target neither a path nor absolute", 400, "GET foo HTTP/1.1\r\nHost: t\r\n\r\n"),
                Arguments.of("* for another method than OPTIONS", 400, "GET * HTTP/1.1\r\nHost: t\r\n\r\n"),
                Arguments.of("absolute-form with another scheme", 400, "GET ftp://example.com/p HTTP/1.1\r\nHost: t\r\n\r\n"),
                Arguments.of("absolute-form without authority", 400, "GET http:///p HTTP/1.1\r\nHost: t\r\n\r\n"),
                Arguments.of("absolute-form with userinfo", 400, "GET http://t@evil.example/ HTTP/1.1\r\nHost: t\r\n\r\n"),
                Arguments.of("CONNECT", 405, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
                Arguments.of("TRACE", 405, "TRACE / HTTP/1.1\r\nHost: t\r\n\r\n"));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("refused")
    void isRefusedAndNeverReachesABackend(String name, int status, String raw) throws Exception {
        int before = blue.requests();
        try (RawHttp client = proxy.client()) {
            client.send(raw);
            RawHttp.Response r = client.read(false);
            assertThat(r.status()).isEqualTo(status);
            assertThat(r.header("Connection")).contains("close");
            assertThat(r.header("Content-Type")).contains("application/json");
            assertThat(r.header("Allow")).isEmpty();
            assertThat(client.closedByPeer()).isTrue();
        }
        assertThat(blue.requests()).isEqualTo(before);
    }

    @Test
    void connectAndTraceAreNotAllowed() throws Exception {
        try (RawHttp client = proxy.client()) {
            client.send("TRACE / HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(ProxyHarness.json(client.read(false)).get("error").asText()).isEqualTo("method_not_allowed");
        }
    }

    @Test
    void anAbsoluteFormTargetReachesTheBackendInOriginFormWithHostFromItsAuthority() throws Exception {
        try (RawHttp client = proxy.client()) {
            client.send("GET HTTP://Api.Example:8080/v1/items?q=1 HTTP/1.1\r\nHost: elsewhere\r\n\r\n");
            JsonNode echo = ProxyHarness.json(client.read(false));
            assertThat(echo.get("uri").asText()).isEqualTo("/v1/items?q=1");
            assertThat(echo.get("headers").get("host").toString()).isEqualTo("[\"Api.Example:8080\"]");
            assertThat(echo.get("headers").get("x-forwarded-host").get(0).asText()).isEqualTo("Api.Example:8080");
            client.send("GET https://api.example?q=2 HTTP/1.1\r\nHost: api.example\r\n\r\n");
            assertThat(ProxyHarness.json(client.read(false)).get("uri").asText()).isEqualTo("/?q=2");
            client.send("OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(ProxyHarness.json(client.read(false)).get("uri").asText()).isEqualTo("*");
        }
        try (RawHttp client = proxy.client()) {
            client.send("GET http://api.example HTTP/1.0\r\n\r\n");
            JsonNode echo = ProxyHarness.json(client.read(false));
            assertThat(echo.get("uri").asText()).isEqualTo("/");
            assertThat(echo.get("headers").get("host").get(0).asText()).isEqualTo("api.example");
        }
    }

    @Test
    void aChunkedBodyGrowingPastTheLimitIs413() throws Exception {
        try (RawHttp client = proxy.client()) {
            client.send("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "258\r\n" + "y".repeat(600) + "\r\n" + "258\r\n" + "y".repeat(600) + "\r\n0\r\n\r\n");
            RawHttp.Response r = client.read(false);
            assertThat(r.status()).isEqualTo(413);
            assertThat(client.closedByPeer()).isTrue();
        }
    }

    @Test
    void wellFormedRequestsStillPass() throws Exception {
        try (RawHttp client = proxy.client()) {
            assertThat(client.get("/ok", "X-Value: with  inner  spaces", "X-Empty:").status()).isEqualTo(200);
            // Host and 99 more: exactly limits.maxHeaders.
            assertThat(client.get("/many", Collections.nCopies(99, "X-H: v").toArray(String[]::new)).status()).isEqualTo(200);
            client.send("POST /ok HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
            assertThat(ProxyHarness.json(client.read(false)).get("bodyBytes").asInt()).isEqualTo(5);
            client.send("\r\nGET /after-empty-line HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(client.read(false).status()).isEqualTo(200);
        }
    }

    @Test
    void expect100ContinueGetsExactlyOneInterimAnswer() throws Exception {
        try (RawHttp client = proxy.client()) {
            client.send("POST /upload HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
            RawHttp.Head interim = client.readHead();
            assertThat(interim.status()).isEqualTo(100);
            client.send("hello");
            RawHttp.Head head = client.readHead();
            assertThat(head.status()).isEqualTo(200);
            var echo = new com.fasterxml.jackson.databind.ObjectMapper().readTree(client.readBody(head, false));
            assertThat(echo.get("bodyBytes").asInt()).isEqualTo(5);
            assertThat(echo.get("headers").has("expect")).isFalse();
            // The next answer on the connection is a final one: no stray 100 is left behind.
            RawHttp.Response next = client.get("/next");
            assertThat(next.status()).isEqualTo(200);
        }
    }
}
