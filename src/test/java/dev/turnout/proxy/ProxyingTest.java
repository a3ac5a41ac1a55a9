package dev.turnout.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.turnout.testing.BlueGreenTest;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import dev.turnout.testing.TestOrigin;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ProxyingTest extends BlueGreenTest {

    ProxyHarness proxy;

    @BeforeEach
    void startProxy() throws Exception {
        proxy = startProxy("upstream: { firstByteTimeout: 2s, readTimeout: 500ms }\n");
    }

    @AfterEach
    void stopProxy() {
        proxy.close();
    }

    @Test
    void proxiesToTheActivePoolAndReusesConnectionsOnBothLegs() throws Exception {
        try (RawHttp client = proxy.client()) {
            for (int i = 0; i < 10; i++) {
                RawHttp.Response r = client.get("/hello?i=" + i);
                assertThat(r.status()).isEqualTo(200);
                assertThat(ProxyHarness.json(r).get("name").asText()).isEqualTo("blue");
                assertThat(ProxyHarness.json(r).get("uri").asText()).isEqualTo("/hello?i=" + i);
            }
        }
        assertThat(blue.requests()).isEqualTo(10);
        assertThat(blue.connections()).isEqualTo(1);
        assertThat(green.requests()).isZero();
    }

    @Test
    void aClientCannotNameContentLengthOrHostAwayInConnectionToSmuggleARequest() throws Exception {
        String smuggled = "GET /smuggled HTTP/1.1\r\nHost: internal\r\n\r\n";
        int before = blue.requests();
        try (RawHttp client = proxy.client()) {
            client.send("POST /public HTTP/1.1\r\nHost: turnout.test\r\nConnection: Content-Length, Host\r\nContent-Length: "
                    + smuggled.length() + "\r\n\r\n" + smuggled);
            JsonNode seen = ProxyHarness.json(client.read(false));
            assertThat(seen.get("uri").asText()).isEqualTo("/public");
            assertThat(seen.get("bodyBytes").asLong()).isEqualTo(smuggled.length());
            assertThat(seen.get("headers").get("content-length").get(0).asText()).isEqualTo(String.valueOf(smuggled.length()));
            assertThat(seen.get("headers").get("host").get(0).asText()).isEqualTo("turnout.test");
            assertThat(client.get("/after").status()).isEqualTo(200);
        }
        // The body stayed a body: the backend saw the POST and the request after it, nothing in between.
        assertThat(blue.requests() - before).isEqualTo(2);
    }

    @Test
    void removesHopByHopHeadersAndSetsForwardedHeadersOnTheRequest() throws Exception {
        try (RawHttp client = proxy.client()) {
            RawHttp.Response r = client.get("/",
                    "Connection: keep-alive, X-Hop",
                    "X-Hop: secret",
                    "Keep-Alive: timeout=5",
                    "TE: trailers",
                    "Proxy-Connection: keep-alive",
                    "Proxy-Authorization: Basic Zm9vOmJhcg==",
                    "Upgrade: h2c",
                    "Authorization: Bearer sk-test-123",
                    "X-Forwarded-For: 10.0.0.1",
                    "X-End-To-End: yes");
            JsonNode headers = ProxyHarness.json(r).get("headers");
            assertThat(headers.has("connection")).isFalse();
            assertThat(headers.has("x-hop")).isFalse();
            assertThat(headers.has("keep-alive")).isFalse();
            assertThat(headers.has("te")).isFalse();
            assertThat(headers.has("proxy-connection")).isFalse();
            assertThat(headers.has("proxy-authorization")).isFalse();
            assertThat(headers.has("upgrade")).isFalse();
            assertThat(headers.get("authorization").get(0).asText()).isEqualTo("Bearer sk-test-123");
            assertThat(headers.get("x-end-to-end").get(0).asText()).isEqualTo("yes");
            assertThat(headers.get("host").get(0).asText()).isEqualTo("turnout.test");
            // The client is no trusted proxy: what it claims is replaced, not appended to.
            assertThat(headers.get("x-forwarded-for").get(0).asText()).isEqualTo("127.0.0.1");
            assertThat(headers.get("x-forwarded-proto").get(0).asText()).isEqualTo("http");
            assertThat(headers.get("x-forwarded-host").get(0).asText()).isEqualTo("turnout.test");
            assertThat(headers.get("x-real-ip").get(0).asText()).isEqualTo("127.0.0.1");
        }
    }

    @Test
    void whatAnUntrustedClientClaimsAboutItsAddressDoesNotReachTheBackend() throws Exception {
        try (RawHttp client = proxy.client()) {
            JsonNode headers = ProxyHarness.json(client.get("/",
                    "Forwarded: for=6.6.6.6;proto=https",
                    "X-Real-IP: 6.6.6.6",
                    "True-Client-IP: 6.6.6.6",
                    "X-Client-IP: 6.6.6.6",
                    "X-Forwarded-Port: 443",
                    "X-Forwarded-Ssl: on",
                    "x-forwarded-prefix: /admin",
                    "X-Forwarded-For: 6.6.6.6")).get("headers");
            assertThat(headers.has("forwarded")).isFalse();
            assertThat(headers.has("true-client-ip")).isFalse();
            assertThat(headers.has("x-client-ip")).isFalse();
            assertThat(headers.has("x-forwarded-port")).isFalse();
            assertThat(headers.has("x-forwarded-ssl")).isFalse();
            assertThat(headers.has("x-forwarded-prefix")).isFalse();
            assertThat(headers.get("x-forwarded-for").toString()).isEqualTo("[\"127.0.0.1\"]");
            assertThat(headers.get("x-real-ip").toString()).isEqualTo("[\"127.0.0.1\"]");
            assertThat(headers.get("x-forwarded-proto").get(0).asText()).isEqualTo("http");
        }
    }

    @Test
    void headerNamesWithUnderscoresAreDroppedUnlessAllowed() throws Exception {
        String[] sent = {"X_Forwarded_For: 6.6.6.6", "X_Custom: 1", "X-Custom: 2"};
        try (RawHttp client = proxy.client()) {
            JsonNode headers = ProxyHarness.json(client.get("/", sent)).get("headers");
            assertThat(headers.has("x_forwarded_for")).isFalse();
            assertThat(headers.has("x_custom")).isFalse();
            assertThat(headers.get("x-custom").get(0).asText()).isEqualTo("2");
            assertThat(headers.get("x-forwarded-for").toString()).isEqualTo("[\"127.0.0.1\"]");
        }
        try (ProxyHarness allowing = ProxyHarness.start(dir.resolve("underscores"), ProxyHarness.twoPools(blue, green)
                + "headers: { allowUnderscores: true }\n");
             RawHttp client = allowing.client()) {
            JsonNode headers = ProxyHarness.json(client.get("/", sent)).get("headers");
            assertThat(headers.get("x_custom").get(0).asText()).isEqualTo("1");
            assertThat(headers.get("x-custom").get(0).asText()).isEqualTo("2");
        }
    }

    @Test
    void forwardedHeadersFromATrustedProxyAreKeptAndAppendedTo() throws Exception {
        try (ProxyHarness trusting = ProxyHarness.start(dir.resolve("trusting"), ProxyHarness.twoPools(blue, green)
                + "trustedProxies: [\"127.0.0.0/8\"]\n");
             RawHttp client = trusting.client()) {
            JsonNode headers = ProxyHarness.json(client.get("/",
                    "X-Forwarded-For: 203.0.113.9",
                    "X-Forwarded-Proto: https",
                    "X-Forwarded-Host: api.example.com",
                    "X-Real-IP: 203.0.113.9",
                    "X-Forwarded-Port: 443",
                    "Forwarded: for=203.0.113.9;proto=https")).get("headers");
            assertThat(headers.get("x-forwarded-for").get(0).asText()).isEqualTo("203.0.113.9, 127.0.0.1");
            assertThat(headers.get("x-forwarded-port").get(0).asText()).isEqualTo("443");
            assertThat(headers.get("forwarded").get(0).asText()).isEqualTo("for=203.0.113.9;proto=https");
            assertThat(headers.get("x-forwarded-proto").get(0).asText()).isEqualTo("https");
            assertThat(headers.get("x-forwarded-host").get(0).asText()).isEqualTo("api.example.com");
            assertThat(headers.get("x-real-ip").get(0).asText()).isEqualTo("203.0.113.9");
        }
        try (RawHttp client = proxy.client()) {
            JsonNode headers = ProxyHarness.json(client.get("/",
                    "X-Forwarded-Proto: https", "X-Forwarded-Host: evil.example", "X-Real-IP: 1.2.3.4")).get("headers");
            assertThat(headers.get("x-forwarded-proto").get(0).asText()).isEqualTo("http");
            assertThat(headers.get("x-forwarded-host").get(0).asText()).isEqualTo("turnout.test");
            assertThat(headers.get("x-real-ip").get(0).asText()).isEqualTo("127.0.0.1");
        }
    }

    @Test
    void removesHopByHopHeadersFromTheResponse() throws Exception {
        try (RawHttp client = proxy.client()) {
            RawHttp.Response r = client.get("/hop");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("X-Hop-Secret")).isEmpty();
            assertThat(r.header("Keep-Alive")).isEmpty();
            assertThat(r.header("Upgrade")).isEmpty();
            assertThat(r.head().all("Connection")).isEmpty();
            assertThat(r.header("X-End-To-End")).contains("kept");
            // The connection survives: the backend's Connection header was about its own hop.
            assertThat(client.get("/").status()).isEqualTo(200);
        }
    }

    @Test
    void answersHttp10ClientsAndClosesUnlessTheyAskForKeepAlive() throws Exception {
        try (RawHttp client = proxy.client()) {
            client.send("GET /old HTTP/1.0\r\n\r\n");
            RawHttp.Response r = client.read(false);
            assertThat(r.status()).isEqualTo(200);
            JsonNode echo = ProxyHarness.json(r);
            assertThat(echo.get("version").asText()).isEqualTo("HTTP/1.1");
            assertThat(echo.get("headers").get("host").get(0).asText()).isEqualTo(blue.address());
            assertThat(client.closedByPeer()).isTrue();
        }
        try (RawHttp client = proxy.client()) {
            // A streamed answer has no length: an HTTP/1.0 client that asked for keep-alive still
            // reads it until the connection ends, so the connection cannot carry a second request.
            client.send("GET /stream?chunks=2&intervalMs=1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            RawHttp.Head head = client.readHead();
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.chunked()).isFalse();
            assertThat(head.header("Content-Length")).isEmpty();
            assertThat(head.header("Connection")).contains("close");
            assertThat(new String(client.readBody(head, false), StandardCharsets.UTF_8)).isEqualTo("data: blue 1\n\ndata: blue 2\n\n");
            assertThat(client.closedByPeer()).isTrue();
        }
        try (RawHttp client = proxy.client()) {
            for (int i = 0; i < 3; i++) {
                client.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
                RawHttp.Response r = client.read(false);
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.header("Connection")).contains("keep-alive");
            }
        }
    }

    @Test
    void streamsChunkedUploadsAndServerSentEventsChunkByChunk() throws Exception {
        try (RawHttp client = proxy.client()) {
            StringBuilder upload = new StringBuilder("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
            for (int i = 0; i < 50; i++) {
                upload.append("400\r\n").append("x".repeat(1024)).append("\r\n");
            }
            client.send(upload.append("0\r\nX-Checksum: abc\r\n\r\n").toString());
            JsonNode echo = ProxyHarness.json(client.read(false));
            assertThat(echo.get("bodyBytes").asLong()).isEqualTo(50 * 1024);
            assertThat(echo.get("headers").get("transfer-encoding").get(0).asText()).isEqualTo("chunked");

            client.send("GET /stream?chunks=3&intervalMs=1&gated=true HTTP/1.1\r\nHost: t\r\nAccept: text/event-stream\r\n\r\n");
            RawHttp.Head head = client.readHead();
            assertThat(head.header("Content-Type")).contains("text/event-stream");
            // The origin holds back event 2 until the test has seen event 1: nothing may sit in a buffer.
            assertThat(new String(client.readChunk(), StandardCharsets.UTF_8)).isEqualTo("data: blue 1\n\n");
            blue.allowChunks(1);
            assertThat(new String(client.readChunk(), StandardCharsets.UTF_8)).isEqualTo("data: blue 2\n\n");
            blue.allowChunks(2);
            assertThat(new String(client.readChunk(), StandardCharsets.UTF_8)).isEqualTo("data: blue 3\n\n");
            assertThat(client.readChunk()).isNull();
            assertThat(client.get("/after").status()).isEqualTo(200);
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (RawHttp client = proxy.client()) {
            client.send("GET /one HTTP/1.1\r\nHost: t\r\n\r\nGET /stream?chunks=2&intervalMs=5 HTTP/1.1\r\nHost: t\r\n\r\nGET /three HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(ProxyHarness.json(client.read(false)).get("uri").asText()).isEqualTo("/one");
            assertThat(client.read(false).text()).isEqualTo("data: blue 1\n\ndata: blue 2\n\n");
            assertThat(ProxyHarness.json(client.read(false)).get("uri").asText()).isEqualTo("/three");
        }
    }

    @Test
    void aKeptAliveConnectionsNextHeadMayArriveInPieces() throws Exception {
        try (RawHttp client = proxy.client()) {
            assertThat(client.get("/one").status()).isEqualTo(200);
            client.send("GET /two HTTP/1.1\r\nHo");
            Thread.sleep(200); // two writes, so that the head reaches Turnout in two reads
            client.send("st: t\r\n\r\n");
            RawHttp.Response two = client.read(false);
            assertThat(two.status()).isEqualTo(200);
            assertThat(ProxyHarness.json(two).get("uri").asText()).isEqualTo("/two");
            client.send("POST /three HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3");
            Thread.sleep(200); // the chunk-size line split between two reads
            client.send("\r\nabc\r\n0\r\n\r\n");
            assertThat(ProxyHarness.json(client.read(false)).get("bodyBytes").asLong()).isEqualTo(3);
        }
    }

    @Test
    void aPipelinedHeadSplitAcrossWritesIsDecodedOnceTheAnswerBeforeItIsDone() throws Exception {
        try (RawHttp client = proxy.client()) {
            client.send("GET /one HTTP/1.1\r\nHost: t\r\n\r\nPOST /two HTTP/1.1\r\nHost: t\r\nContent-Le");
            assertThat(ProxyHarness.json(client.read(false)).get("uri").asText()).isEqualTo("/one");
            client.send("ngth: 3\r\n\r\nabcGET /three HTTP/1.1\r\nHost: t\r\n\r\n");
            JsonNode two = ProxyHarness.json(client.read(false));
            assertThat(two.get("uri").asText()).isEqualTo("/two");
            assertThat(two.get("bodyBytes").asLong()).isEqualTo(3);
            assertThat(ProxyHarness.json(client.read(false)).get("uri").asText()).isEqualTo("/three");
        }
    }

    @Test
    void backendClosingBeforeAnsweringIs502() throws Exception {
        try (RawHttp client = proxy.client()) {
            RawHttp.Response r = client.get("/close");
            assertThat(r.status()).isEqualTo(502);
            assertThat(r.header("Content-Type")).contains("application/json");
            JsonNode body = ProxyHarness.json(r);
            assertThat(body.get("error").asText()).isEqualTo("bad_gateway");
            assertThat(body.get("pool").asText()).isEqualTo("blue");
            assertThat(body.get("backend").asText()).isEqualTo(blue.address());
            assertThat(client.get("/fine").status()).isEqualTo(200);
        }
    }

    @Test
    void aBackendMayThinkLongerThanReadTimeoutBeforeItsHeadButNotLongerThanFirstByteTimeout() throws Exception {
        try (RawHttp client = proxy.client()) {
            assertThat(client.get("/slow?ms=1000").status()).isEqualTo(200);
            RawHttp.Response r = client.get("/slow?ms=5000");
            assertThat(r.status()).isEqualTo(504);
            assertThat(ProxyHarness.json(r).get("error").asText()).isEqualTo("gateway_timeout");
            assertThat(ProxyHarness.json(r).get("detail").asText()).isEqualTo("no complete response head within 2s (firstByteTimeout)");
        }
        await().untilAsserted(() -> assertThat(proxy.server().traffic().current().active().inFlight()).isZero());
    }

    @Test
    void backendFailingMidResponseClosesTheClientConnection() throws Exception {
        try (RawHttp client = proxy.client()) {
            client.send("GET /truncate HTTP/1.1\r\nHost: t\r\n\r\n");
            RawHttp.Head head = client.readHead();
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("Content-Length")).contains("1000");
            assertThat(client.readCutShortBody(head)).hasSize(10);
            assertThat(client.closedByPeer()).isTrue();
        }
        try (RawHttp client = proxy.client()) {
            assertThat(client.get("/next").status()).isEqualTo(200);
        }
    }

    @Test
    void clientAbortClosesTheUpstreamConnectionAndEndsTheRequest() throws Exception {
        try (RawHttp client = proxy.client()) {
            client.send("GET /bytes?n=200000000 HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(client.readHead().status()).isEqualTo(200);
            assertThat(client.input().readNBytes(100_000)).hasSize(100_000);
            await().untilAsserted(() -> assertThat(proxy.server().traffic().current().active().inFlight()).isEqualTo(1));
        }
        await().untilAsserted(() -> {
            assertThat(proxy.server().traffic().current().active().inFlight()).isZero();
            assertThat(blue.openConnections()).isZero();
        });
    }

    @Test
    void malformedRequestIs400AndNeverReachesABackend() throws Exception {
        try (RawHttp client = proxy.client()) {
            client.send("THIS IS NOT HTTP\r\n\r\n");
            RawHttp.Response r = client.read(false);
            assertThat(r.status()).isEqualTo(400);
            assertThat(client.closedByPeer()).isTrue();
        }
        assertThat(blue.requests()).isZero();
    }

    @Test
    void refusedConnectToTheOnlyBackendIs502AndToEveryBackendOfAPoolIs503() throws Exception {
        int deadA = freePort();
        int deadB = freePort();
        try (ProxyHarness dead = ProxyHarness.start(dir.resolve("dead"), "pools:\n"
                + "  green: { backends: [\"127.0.0.1:" + deadA + "\"] }\n"
                + "  pair: { backends: [\"127.0.0.1:" + deadA + "\", \"127.0.0.1:" + deadB + "\"] }\n")) {
            try (RawHttp client = dead.client()) {
                RawHttp.Response r = client.get("/");
                assertThat(r.status()).isEqualTo(502);
                assertThat(ProxyHarness.json(r).toString()).isEqualTo(
                        "{\"error\":\"bad_gateway\",\"pool\":\"green\",\"backend\":\"127.0.0.1:" + deadA + "\",\"detail\":\"connection refused\","
                                + "\"requestId\":\"" + r.header("x-request-id").orElseThrow() + "\"}");
                assertThat(client.get("/again").status()).isEqualTo(502);
            }
            assertThat(dead.admin("POST", "/admin/switch?to=pair&force=true").status()).isEqualTo(200);
            try (RawHttp client = dead.client()) {
                RawHttp.Response r = client.get("/");
                assertThat(r.status()).isEqualTo(503);
                JsonNode body = ProxyHarness.json(r);
                assertThat(body.get("error").asText()).isEqualTo("service_unavailable");
                assertThat(body.get("pool").asText()).isEqualTo("pair");
                assertThat(body.get("detail").asText()).contains("127.0.0.1:" + deadA, "127.0.0.1:" + deadB, "connection refused");
            }
        }
    }

    @Test
    void backendNamesAreResolvedWhenConnecting() throws Exception {
        String port = green.address().substring(green.address().indexOf(':') + 1);
        try (ProxyHarness named = ProxyHarness.start(dir.resolve("named"), "pools:\n"
                + "  blue: { backends: [\"localhost:" + port + "\"] }\n"
                + "  green: { backends: [\"" + blue.address() + "\"] }\n");
             RawHttp client = named.client()) {
            assertThat(ProxyHarness.json(client.get("/")).get("name").asText()).isEqualTo("green");
        }
    }

    @Test
    void roundRobinSpreadsRequestsOverThePool() throws Exception {
        try (TestOrigin a = TestOrigin.start("a"); TestOrigin b = TestOrigin.start("b");
             ProxyHarness rr = ProxyHarness.start(dir.resolve("rr"), "pools:\n"
                     + "  blue: { backends: [\"" + a.address() + "\", \"" + b.address() + "\"] }\n"
                     + "  green: { backends: [\"" + green.address() + "\"] }\n");
             RawHttp client = rr.client()) {
            List<String> names = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                names.add(ProxyHarness.json(client.get("/")).get("name").asText());
            }
            assertThat(names).containsOnly("a", "b");
            for (int i = 1; i < names.size(); i++) {
                assertThat(names.get(i)).isNotEqualTo(names.get(i - 1));
            }
        }
    }

    @Test
    void rawClientSeesEndOfStreamAfterTruncation() throws Exception {
        // Guards the helper itself: a truncated fixed-length body must fail the read, not look complete.
        try (RawHttp client = proxy.client()) {
            client.send("GET /truncate HTTP/1.1\r\nHost: t\r\n\r\n");
            RawHttp.Head head = client.readHead();
            assertThat(head.header("Content-Length")).contains("1000");
            assertThatThrownBy(() -> client.readBody(head, false))
                    .isInstanceOf(RawHttp.CutShort.class)
                    .hasMessage("body cut short: 10 of 1000 bytes (Content-Length) before the connection ended");
        }
        try (RawHttp client = proxy.client()) {
            client.send("GET /truncate HTTP/1.1\r\nHost: t\r\n\r\n");
            RawHttp.Head head = client.readHead();
            assertThat(client.readCutShortBody(head)).hasSize(10);
        }
        try (RawHttp client = proxy.client()) {
            RawHttp.Response whole = client.get("/");
            assertThat(whole.status()).isEqualTo(200);
            client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            RawHttp.Head head = client.readHead();
            assertThatThrownBy(() -> client.readCutShortBody(head))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageStartingWith("expected the body to be cut short, but all of it arrived");
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
