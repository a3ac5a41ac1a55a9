package dev.turnout.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.turnout.testing.BlueGreenTest;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** X-Request-Id over real sockets: kept or made, sent to the backend, returned to the client, in Turnout's own answers. */
class RequestIdTest extends BlueGreenTest {

    private ProxyHarness proxy;

    @BeforeEach
    void start() throws Exception {
        proxy = startProxy("");
    }

    @AfterEach
    void stop() {
        proxy.close();
    }

    @Test
    void aRequestWithoutAnIdGetsOneThatTheBackendAndTheClientBothSee() throws Exception {
        try (RawHttp client = proxy.client()) {
            RawHttp.Response r = client.get("/a");
            String id = r.header("x-request-id").orElseThrow();
            assertThat(id).matches("[0-9a-f]{32}");
            assertThat(ProxyHarness.json(r).get("headers").get("x-request-id").get(0).asText()).isEqualTo(id);
            // The next request gets another one.
            assertThat(client.get("/b").header("x-request-id").orElseThrow()).isNotEqualTo(id);
        }
    }

    @Test
    void aGoodIncomingIdIsKeptAndABadOneReplaced() throws Exception {
        try (RawHttp client = proxy.client()) {
            RawHttp.Response kept = client.get("/a", "X-Request-Id: trace-42/abc");
            assertThat(kept.header("x-request-id")).contains("trace-42/abc");
            assertThat(ProxyHarness.json(kept).get("headers").get("x-request-id").toString()).isEqualTo("[\"trace-42/abc\"]");
            String tooLong = "x".repeat(129);
            RawHttp.Response replaced = client.get("/a", "X-Request-Id: " + tooLong);
            assertThat(replaced.header("x-request-id").orElseThrow()).matches("[0-9a-f]{32}");
            RawHttp.Response spaced = client.get("/a", "X-Request-Id: two words");
            assertThat(spaced.header("x-request-id").orElseThrow()).matches("[0-9a-f]{32}");
        }
    }

    @Test
    void aBackendThatEchoesTheIdIsNotGivenASecondOne() throws Exception {
        try (RawHttp client = proxy.client()) {
            RawHttp.Response r = client.get("/a", "X-Request-Id: mine", "X-Echo-Request-Id: yes");
            assertThat(r.head().all("x-request-id")).containsExactly("mine");
        }
    }

    @Test
    void turnoutsOwnAnswersCarryTheIdInTheHeaderAndTheBody() throws Exception {
        try (RawHttp client = proxy.client()) {
            // The backend hangs up without answering: Turnout answers 502 itself.
            RawHttp.Response failed = client.get("/close", "X-Request-Id: follow-me");
            assertThat(failed.status()).isEqualTo(502);
            assertThat(failed.header("x-request-id")).contains("follow-me");
            JsonNode body = ProxyHarness.json(failed);
            assertThat(body.get("requestId").asText()).isEqualTo("follow-me");
        }
        try (RawHttp client = proxy.client()) {
            client.send("TRACE / HTTP/1.1\r\nHost: x\r\nX-Request-Id: refused-one\r\n\r\n");
            RawHttp.Response refused = client.read(false);
            assertThat(refused.status()).isEqualTo(405);
            assertThat(ProxyHarness.json(refused).get("requestId").asText()).isEqualTo("refused-one");
        }
    }
}
