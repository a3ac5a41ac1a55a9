package dev.turnout.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnout.config.ConfigException;
import dev.turnout.config.ProxyConfig;
import dev.turnout.testing.BlueGreenTest;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import dev.turnout.testing.RawHttp2;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The access log over real sockets, written to a file in the test's temp dir through the asynchronous appender. */
class AccessLogTest extends BlueGreenTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> FIELDS = List.of("time", "client", "method", "target", "protocol", "status", "bytesIn",
            "bytesOut", "durationMs", "firstByteMs", "pool", "backend", "generation", "retries", "requestId", "userAgent");

    private ProxyHarness proxy;

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
    }

    private Path log() {
        return dir.resolve("logs/access.log");
    }

    private ProxyHarness start(String accessLog) throws Exception {
        return startProxy("accessLog: { path: " + log() + accessLog + " }\n");
    }

    private List<String> lines() throws Exception {
        return Files.exists(log()) ? Files.readAllLines(log(), StandardCharsets.UTF_8) : List.of();
    }

    /** Waits for exactly {@code n} lines: the appender writes on its own thread. */
    private List<String> awaitLines(int n) throws Exception {
        await().untilAsserted(() -> assertThat(lines()).hasSizeGreaterThanOrEqualTo(n));
        List<String> lines = lines();
        assertThat(lines).hasSize(n);
        return lines;
    }

    private static JsonNode json(String line) throws Exception {
        return JSON.readTree(line);
    }

    /** The line is written by hand, not by Jackson: it must still read back as the same values, whatever a client sent. */
    @Test
    void jsonLinesEscapeWhatClientsSend() throws Exception {
        String odd = "q\"b\\s/\n\r\t\b\f\u0001\u001f\u007f é \uD83D\uDE00 </script>";
        AccessRequest request = new AccessRequest("10.0.0.1", "GET", "/a?b=" + odd, "HTTP/1.1", "id-1", odd, null,
                ProxyConfig.AccessLog.Format.JSON, 0);
        AccessLog.Line line = new AccessLog.Line(request, 502, 5, 17, 12_345_678, -1, "blue", null, 3, 1, odd);
        JsonNode json = json(AccessLog.json(line));
        assertThat(json.get("time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
        assertThat(json.get("target").asText()).isEqualTo("/a?b=" + odd);
        assertThat(json.get("userAgent").asText()).isEqualTo(odd);
        assertThat(json.get("error").asText()).isEqualTo(odd);
        assertThat(json.get("durationMs").asDouble()).isEqualTo(12.346);
        assertThat(json.get("firstByteMs").isNull()).isTrue();
        assertThat(json.get("backend").isNull()).isTrue();
        assertThat(json.get("status").asInt()).isEqualTo(502);
        assertThat(json.get("retries").asInt()).isEqualTo(1);
        // As Jackson writes a string: the same text, character for character.
        assertThat(AccessLog.json(line)).contains("\"userAgent\":" + JSON.writeValueAsString(odd));
        for (long nanos : new long[] {0, 400, 500, 1_000, 1_499_999, 12_000_000, 12_300_000, 12_340_000, 12_345_678, 9_999_999_000_000L}) {
            StringBuilder b = new StringBuilder();
            AccessLog.millis(b, nanos);
            assertThat(b.toString()).as("%d ns", nanos).isEqualTo(Double.toString(Math.round(nanos / 1e3) / 1e3));
        }
        assertThat(AccessLog.isoMillis(0)).isEqualTo("1970-01-01T00:00:00.000Z");
        assertThat(AccessLog.isoMillis(1_764_649_867_042L)).isEqualTo("2025-12-02T04:31:07.042Z");
    }

    @Test
    void eachRequestGivesOneJsonLineWithTheIdTheClientGot() throws Exception {
        proxy = start("");
        int n = 12;
        List<String> ids = new ArrayList<>();
        try (RawHttp client = proxy.client()) {
            for (int i = 0; i < n; i++) {
                RawHttp.Response r = client.get("/v1/models?i=" + i, "User-Agent: curl/8.5 \"quoted\"");
                assertThat(r.status()).isEqualTo(200);
                ids.add(r.header("x-request-id").orElseThrow());
            }
            client.send("POST /v1/chat HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
            RawHttp.Response posted = client.read(false);
            ids.add(posted.header("x-request-id").orElseThrow());
            List<String> lines = awaitLines(n + 1);
            for (int i = 0; i < n; i++) {
                JsonNode line = json(lines.get(i));
                assertThat(line.fieldNames()).toIterable().containsExactlyElementsOf(FIELDS);
                assertThat(line.get("time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
                assertThat(line.get("client").asText()).isEqualTo("127.0.0.1");
                assertThat(line.get("method").asText()).isEqualTo("GET");
                assertThat(line.get("target").asText()).isEqualTo("/v1/models?i=" + i);
                assertThat(line.get("protocol").asText()).isEqualTo("HTTP/1.1");
                assertThat(line.get("status").asInt()).isEqualTo(200);
                assertThat(line.get("bytesIn").asLong()).isZero();
                assertThat(line.get("bytesOut").asLong()).isPositive();
                assertThat(line.get("durationMs").isNumber()).isTrue();
                assertThat(line.get("firstByteMs").isNumber()).isTrue();
                assertThat(line.get("pool").asText()).isEqualTo("blue");
                assertThat(line.get("backend").asText()).isEqualTo(blue.address());
                assertThat(line.get("generation").asLong()).isEqualTo(1);
                assertThat(line.get("retries").asInt()).isZero();
                assertThat(line.get("requestId").asText()).isEqualTo(ids.get(i));
                assertThat(line.get("userAgent").asText()).isEqualTo("curl/8.5 \"quoted\"");
            }
            JsonNode post = json(lines.get(n));
            assertThat(post.get("method").asText()).isEqualTo("POST");
            assertThat(post.get("bytesIn").asLong()).isEqualTo(5);
            assertThat(post.get("requestId").asText()).isEqualTo(ids.get(n));
        }
    }

    @Test
    void healthIsNotLoggedButEverythingElseIs() throws Exception {
        proxy = start("");
        try (RawHttp client = proxy.client()) {
            client.get("/health");
            client.get("/health?full=1");
            client.get("/healthz");
        }
        assertThat(awaitLines(1)).singleElement().satisfies(line -> assertThat(json(line).get("target").asText()).isEqualTo("/healthz"));
    }

    @Test
    void turnoutsOwnAnswersHaveAnError() throws Exception {
        proxy = start("");
        try (RawHttp client = proxy.client()) {
            // The backend hangs up without answering: Turnout answers 502 itself.
            assertThat(client.get("/close", "X-Request-Id: made-502").status()).isEqualTo(502);
        }
        try (RawHttp client = proxy.client()) {
            client.send("TRACE /trace HTTP/1.1\r\nHost: x\r\nX-Request-Id: refused-405\r\n\r\n");
            assertThat(client.read(false).status()).isEqualTo(405);
        }
        List<String> lines = awaitLines(2);
        JsonNode badGateway = json(lines.get(0));
        assertThat(badGateway.get("status").asInt()).isEqualTo(502);
        assertThat(badGateway.get("error").asText()).isEqualTo("bad_gateway");
        assertThat(badGateway.get("pool").asText()).isEqualTo("blue");
        assertThat(badGateway.get("requestId").asText()).isEqualTo("made-502");
        JsonNode refused = json(lines.get(1));
        assertThat(refused.get("status").asInt()).isEqualTo(405);
        assertThat(refused.get("method").asText()).isEqualTo("TRACE");
        assertThat(refused.get("target").asText()).isEqualTo("/trace");
        assertThat(refused.get("error").asText()).isEqualTo("method_not_allowed");
        assertThat(refused.get("pool").isNull()).isTrue();
        assertThat(refused.get("requestId").asText()).isEqualTo("refused-405");
    }

    @Test
    void theCombinedFormatIsNginxsWithPoolBackendGenerationAndDuration() throws Exception {
        proxy = start(", format: combined");
        try (RawHttp client = proxy.client()) {
            client.get("/v1/models?x=1", "User-Agent: test-agent", "Referer: https://example.com/");
        }
        String line = awaitLines(1).get(0);
        assertThat(line).matches("127\\.0\\.0\\.1 - - \\[\\d\\d/[A-Z][a-z]{2}/\\d{4}:\\d\\d:\\d\\d:\\d\\d [+-]\\d{4}] "
                + "\"GET /v1/models\\?x=1 HTTP/1\\.1\" 200 \\d+ \"https://example\\.com/\" \"test-agent\" "
                + "pool=blue backend=" + blue.address().replace(".", "\\.") + " generation=1 duration=\\d+\\.\\d{3}");
    }

    @Test
    void anHttp2StreamIsLoggedAsHttp2WithTheIdItGotBack() throws Exception {
        proxy = startProxy("http2: { cleartext: true }\naccessLog: { path: " + log() + " }\n");
        String id;
        try (RawHttp2 h2c = RawHttp2.cleartext(proxy.proxy())) {
            h2c.headers(1, RawHttp2.request("GET", "/h2c?q=1"), true);
            id = h2c.fields(h2c.readUntil(RawHttp2.HEADERS, 1)).get("x-request-id").toString();
        }
        JsonNode line = json(awaitLines(1).get(0));
        assertThat(line.get("protocol").asText()).isEqualTo("HTTP/2");
        assertThat(line.get("target").asText()).isEqualTo("/h2c?q=1");
        assertThat(line.get("status").asInt()).isEqualTo(200);
        assertThat(line.get("requestId").asText()).isEqualTo(id);
    }

    @Test
    void disabledWritesNothing() throws Exception {
        proxy = start(", enabled: false");
        try (RawHttp client = proxy.client()) {
            assertThat(client.get("/a").status()).isEqualTo(200);
        }
        proxy.close();
        proxy = null;
        assertThat(lines()).isEmpty();
    }

    @Test
    void aBadValueNamesTheKey() {
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> ProxyHarness.config(dir, ProxyHarness.twoPools(blue, green) + "accessLog: { format: apache }\n"));
        assertThat(e.problems()).containsExactly("accessLog.format: \"apache\" is not a log format (expected: json or combined)");
    }
}
