package dev.turnout.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnout.testing.BlueGreenTest;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp2;
import dev.turnout.testing.TestCertificates;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** HTTP/2 to clients over real TLS (ALPN h2) and cleartext (h2c), each stream one exchange through the same routing. */
class Http2Test extends BlueGreenTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TestCertificates.Issued ca;
    private ProxyHarness proxy;

    @BeforeEach
    void makeCertificate() throws Exception {
        ca = TestCertificates.writeLocalhost(dir, "h2");
    }

    @AfterEach
    void stopProxy() {
        if (proxy != null) {
            proxy.close();
        }
    }

    private void start(String moreYaml) throws Exception {
        proxy = startProxy("tls:\n"
                + "  listen: 127.0.0.1:0\n"
                + "  certificates:\n"
                + "    - { cert: " + dir.resolve("h2.crt") + ", key: " + dir.resolve("h2.key") + " }\n"
                + moreYaml);
    }

    private InetSocketAddress https() {
        return proxy.server().tlsAddress().orElseThrow();
    }

    private HttpClient client() throws Exception {
        return HttpClient.newBuilder().sslContext(TestCertificates.trusting(ca)).version(HttpClient.Version.HTTP_2).build();
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + https().getPort() + path)).timeout(Duration.ofSeconds(30));
    }

    @Test
    void streamsOnOneConnectionReachTheActivePoolAndAFlipMovesTheNextStream() throws Exception {
        start("  hsts: \"max-age=600\"\n");
        HttpClient client = client();
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            answers.add(client.sendAsync(request("/hello?i=" + i).build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> answer : answers) {
            HttpResponse<String> r = answer.get();
            assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("strict-transport-security")).contains("max-age=600");
            JsonNode seen = JSON.readTree(r.body());
            assertThat(seen.get("name").asText()).isEqualTo("blue");
            assertThat(seen.get("version").asText()).isEqualTo("HTTP/1.1");
            assertThat(seen.get("headers").get("x-forwarded-proto").get(0).asText()).isEqualTo("https");
            assertThat(seen.get("headers").get("host").get(0).asText()).isEqualTo("127.0.0.1:" + https().getPort());
            // Each stream has its request id, the same at the backend and in the answer.
            assertThat(r.headers().firstValue("x-request-id")).contains(seen.get("headers").get("x-request-id").get(0).asText());
        }
        assertThat(proxy.admin("POST", "/admin/switch").status()).isEqualTo(200);
        HttpResponse<String> after = client.send(request("/hello").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(JSON.readTree(after.body()).get("name").asText()).isEqualTo("green");
    }

    @Test
    void bodiesStreamBothWaysAndTrailersPass() throws Exception {
        start("");
        HttpClient client = client();
        byte[] upload = new byte[3 * 1024 * 1024 + 7];
        HttpResponse<String> posted = client.send(request("/upload").POST(HttpRequest.BodyPublishers.ofByteArray(upload)).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode seen = JSON.readTree(posted.body());
        assertThat(seen.get("bodyBytes").asLong()).isEqualTo(upload.length);
        assertThat(seen.get("method").asText()).isEqualTo("POST");

        HttpResponse<byte[]> download = client.send(request("/bytes?n=5000000").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(download.body()).hasSize(5_000_000);

        try (RawHttp2 h2 = RawHttp2.tls(https())) {
            h2.headers(1, RawHttp2.request("POST", "/trailers").set("content-type", "text/plain"), false);
            h2.data(1, "12345".getBytes(StandardCharsets.US_ASCII), false);
            h2.headers(1, new io.netty.handler.codec.http2.DefaultHttp2Headers().set("x-sum", "15"), true);
            RawHttp2.Frame head = h2.readUntil(RawHttp2.HEADERS, 1);
            assertThat(h2.fields(head).status().toString()).isEqualTo("200");
            RawHttp2.Frame data = h2.readUntil(RawHttp2.DATA, 1);
            assertThat(new String(data.payload(), StandardCharsets.US_ASCII)).isEqualTo("ok");
            RawHttp2.Frame trailers = h2.readUntil(RawHttp2.HEADERS, 1);
            assertThat(trailers.endStream()).isTrue();
            Http2Headers fields = h2.fields(trailers);
            assertThat(fields.get("x-origin-trailer").toString()).isEqualTo("blue");
            assertThat(fields.get("x-request-trailer").toString()).isEqualTo("15");
        }
    }

    @Test
    void anEventStreamIsFlushedEventByEvent() throws Exception {
        start("");
        HttpResponse<InputStream> events = client().send(request("/stream?chunks=3&gated=true").build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(events.headers().firstValue("content-type")).contains("text/event-stream");
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(events.body(), StandardCharsets.UTF_8))) {
            // The backend holds events 2 and 3 until allowed: the first must arrive alone.
            assertThat(lines.readLine()).isEqualTo("data: blue 1");
            blue.allowChunks(2);
            assertThat(lines.readLine()).isEmpty();
            assertThat(lines.readLine()).isEqualTo("data: blue 2");
        }
    }

    @Test
    void aBackendTooSlowForFirstByteTimeoutGetsA504OnItsStreamAndTheOthersGoOn() throws Exception {
        start("upstream: { firstByteTimeout: 1s }\n");
        try (RawHttp2 h2 = RawHttp2.tls(https())) {
            h2.headers(1, RawHttp2.request("GET", "/slow?ms=20000"), true);
            h2.headers(3, RawHttp2.request("GET", "/fast"), true);
            assertThat(h2.fields(h2.readUntil(RawHttp2.HEADERS, 3)).status().toString()).isEqualTo("200");
            assertThat(h2.fields(h2.readUntil(RawHttp2.HEADERS, 1)).status().toString()).isEqualTo("504");
        }
    }

    @Test
    void cookiesSplitAcrossFieldsAreJoinedAndAuthorityBecomesHost() throws Exception {
        start("");
        try (RawHttp2 h2 = RawHttp2.tls(https())) {
            h2.headers(1, RawHttp2.request("GET", "/c").add("cookie", "a=1").add("cookie", "b=2").add("host", "evil.example"), true);
            RawHttp2.Frame data = h2.readUntil(RawHttp2.DATA, 1);
            JsonNode seen = JSON.readTree(data.payload());
            assertThat(seen.get("headers").get("cookie").toString()).isEqualTo("[\"a=1; b=2\"]");
            assertThat(seen.get("headers").get("host").toString()).isEqualTo("[\"turnout.test\"]");
            assertThat(seen.get("headers").has("x-http2-stream-id")).isFalse();
        }
    }

    @Test
    void connectionSpecificAndMalformedFieldsEndTheStreamAndReachNoBackend() throws Exception {
        start("");
        try (RawHttp2 h2 = RawHttp2.tls(https())) {
            int stream = 1;
            for (String[] field : new String[][] {{"connection", "keep-alive"}, {"keep-alive", "5"}, {"proxy-connection", "x"},
                    {"transfer-encoding", "chunked"}, {"upgrade", "websocket"}, {"te", "gzip"}, {"X-Upper", "1"},
                    {"x-split", "a\r\nX-Injected: 1"}, {"x-nul", "a\0b"}, {"x-padded", " a"}}) {
                h2.headers(stream, RawHttp2.request("GET", "/bad").add(field[0], field[1]), true);
                RawHttp2.Frame reset = h2.readUntil(RawHttp2.RST_STREAM, stream);
                assertThat(reset).as(field[0]).isNotNull();
                assertThat(reset.errorCode()).as(field[0]).isEqualTo(1L);
                stream += 2;
            }
            // A :path with a space would split the request line the backend reads: a 400.
            h2.headers(stream, RawHttp2.request("GET", "/a b"), true);
            assertThat(h2.fields(h2.readUntil(RawHttp2.HEADERS, stream)).status().toString()).isEqualTo("400");
            stream += 2;
            // "te: trailers" is the one TE allowed, and is a working request.
            h2.headers(stream, RawHttp2.request("GET", "/ok").add("te", "trailers"), true);
            assertThat(h2.fields(h2.readUntil(RawHttp2.HEADERS, stream)).status().toString()).isEqualTo("200");
        }
        assertThat(blue.requests()).isEqualTo(1);
    }

    @Test
    void anAnswerBeforeTheBodyEndsArrivesWholeThenTheStreamIsResetAndTheRestOfTheBodyDropped() throws Exception {
        start("limits: { maxBodyBytes: 1000 }\n");
        try (RawHttp2 h2 = RawHttp2.tls(https())) {
            h2.headers(1, RawHttp2.request("POST", "/upload").set("content-length", "5000"), false);
            h2.data(1, new byte[1000], false);
            h2.data(1, new byte[1000], false);
            RawHttp2.Frame head = h2.readUntil(RawHttp2.HEADERS, 1);
            assertThat(h2.fields(head).status().toString()).isEqualTo("413");
            // The whole answer first: DATA with the JSON and END_STREAM, only then RST_STREAM NO_ERROR.
            RawHttp2.Frame next = h2.read();
            while (next.type() != RawHttp2.DATA && next.type() != RawHttp2.RST_STREAM) {
                next = h2.read();
            }
            assertThat(next.type()).isEqualTo(RawHttp2.DATA);
            assertThat(next.endStream()).isTrue();
            assertThat(JSON.readTree(next.payload()).get("error").asText()).isEqualTo("payload_too_large");
            RawHttp2.Frame reset = h2.readUntil(RawHttp2.RST_STREAM, 1);
            assertThat(reset.errorCode()).isZero();
            // The connection goes on.
            h2.headers(3, RawHttp2.request("GET", "/after"), true);
            assertThat(h2.fields(h2.readUntil(RawHttp2.HEADERS, 3)).status().toString()).isEqualTo("200");
        }
        assertThat(blue.requests()).isEqualTo(1);
    }

    @Test
    void aBodylessRequestWhoseEndComesInAnEmptyDataFrameIsAnsweredWhole() throws Exception {
        start("");
        try (RawHttp2 h2 = RawHttp2.tls(https())) {
            h2.headers(1, RawHttp2.request("POST", "/empty").set("content-length", "0"), false);
            h2.data(1, new byte[0], true);
            assertThat(h2.fields(h2.readUntil(RawHttp2.HEADERS, 1)).status().toString()).isEqualTo("200");
            RawHttp2.Frame f;
            StringBuilder body = new StringBuilder();
            while ((f = h2.read()) != null && f.type() != RawHttp2.RST_STREAM && !(f.type() == RawHttp2.DATA && f.endStream())) {
                if (f.type() == RawHttp2.DATA) {
                    body.append(new String(f.payload(), StandardCharsets.UTF_8));
                }
            }
            assertThat(f).isNotNull();
            assertThat(f.type()).isEqualTo(RawHttp2.DATA);
            body.append(new String(f.payload(), StandardCharsets.UTF_8));
            assertThat(JSON.readTree(body.toString()).get("method").asText()).isEqualTo("POST");
        }
    }

    @Test
    void aCleartextClientThatNeverSaysItsProtocolIsClosedAfterTheHeaderTimeout() throws Exception {
        start("http2: { cleartext: true }\nlimits: { headerTimeout: 1s }\n");
        try (java.net.Socket silent = new java.net.Socket(proxy.proxy().getAddress(), proxy.proxy().getPort())) {
            silent.setSoTimeout(30_000);
            // Half a preface, then nothing.
            silent.getOutputStream().write("PRI * HTTP/2.0\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(silent.getInputStream().read()).isEqualTo(-1);
        }
    }

    @Test
    void cleartextHttp2WithPriorKnowledgeIsServedBesideHttp1WhenEnabled() throws Exception {
        start("http2: { cleartext: true }\n");
        try (RawHttp2 h2c = RawHttp2.cleartext(proxy.proxy())) {
            h2c.headers(1, RawHttp2.request("GET", "/h2c"), true);
            RawHttp2.Frame head = h2c.readUntil(RawHttp2.HEADERS, 1);
            assertThat(h2c.fields(head).status().toString()).isEqualTo("200");
            JsonNode seen = JSON.readTree(h2c.readUntil(RawHttp2.DATA, 1).payload());
            assertThat(seen.get("headers").get("x-forwarded-proto").get(0).asText()).isEqualTo("http");
        }
        try (var http1 = proxy.client()) {
            assertThat(ProxyHarness.json(http1.get("/h1")).get("name").asText()).isEqualTo("blue");
        }
    }

    @Test
    void withoutCleartextThePlainListenerSpeaksHttp1Only() throws Exception {
        start("");
        try (RawHttp2 h2c = RawHttp2.cleartext(proxy.proxy())) {
            // The preface is not an HTTP/1.1 request Turnout takes: it answers 400 or 405 and closes, never with HTTP/2 frames.
            assertThat(h2c.closedByServer()).isTrue();
        }
        assertThat(blue.requests()).isZero();
    }

    @Test
    void aReloadSendsGoAwayAndTheStreamInFlightFinishes() throws Exception {
        start("");
        try (RawHttp2 h2 = RawHttp2.tls(https())) {
            h2.headers(1, RawHttp2.request("GET", "/stream?chunks=2&gated=true"), true);
            assertThat(h2.fields(h2.readUntil(RawHttp2.HEADERS, 1)).status().toString()).isEqualTo("200");
            proxy.rewriteConfig(dir, ProxyHarness.twoPools(blue, green) + "tls:\n  listen: 127.0.0.1:0\n  certificates:\n"
                    + "    - { cert: " + dir.resolve("h2.crt") + ", key: " + dir.resolve("h2.key") + " }\n"
                    + "retry: { attempts: 1 }\n");
            assertThat(proxy.admin("POST", "/admin/reload").status()).isEqualTo(200);
            RawHttp2.Frame goAway = h2.readUntil(RawHttp2.GOAWAY, 0);
            assertThat(goAway.errorCode()).isZero();
            assertThat(goAway.payload()[3]).isEqualTo((byte) 1);
            blue.allowChunks(2);
            RawHttp2.Frame f;
            StringBuilder body = new StringBuilder();
            while ((f = h2.read()) != null && !f.endStream()) {
                if (f.type() == RawHttp2.DATA) {
                    body.append(new String(f.payload(), StandardCharsets.UTF_8));
                }
            }
            assertThat(body.toString()).contains("data: blue 2");
            assertThat(f).isNotNull();
            // With its last stream done, the connection that got GOAWAY is closed.
            assertThat(h2.closedByServer()).isTrue();
        }
    }
}
