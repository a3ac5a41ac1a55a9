package dev.turnout.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.turnout.testing.BlueGreenTest;
import dev.turnout.testing.LogCapture;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** How the admin listener treats its connections: idle time, pipelining, bodies over the limit. */
class AdminConnectionTest extends BlueGreenTest {

    @Test
    void aSwitchWaitingForADrainOutlivesTheIdleTimeoutWhileAnIdleConnectionIsClosed() throws Exception {
        System.setProperty(AdminServer.IDLE_TIMEOUT_PROPERTY, "1000");
        try (ProxyHarness proxy = startProxy("");
             RawHttp stream = proxy.client();
             RawHttp switching = RawHttp.connect(proxy.admin())) {
            stream.send("GET /stream?chunks=2&intervalMs=1&gated=true HTTP/1.1\r\nHost: t\r\n\r\n");
            stream.readHead();
            stream.readChunk();
            switching.send("POST /admin/switch HTTP/1.1\r\nHost: admin\r\nContent-Length: 0\r\n\r\n");
            await().untilAsserted(() -> assertThat(proxy.server().traffic().current().active().name()).isEqualTo("green"));

            try (RawHttp idle = RawHttp.connect(proxy.admin())) {
                // Opened after the switch call went quiet: once this one is closed, the switch call has been
                // waiting longer than the idle timeout too.
                assertThat(idle.closedByPeer()).isTrue();
            }
            blue.allowChunks(5);
            RawHttp.Response answer = switching.read(false);
            assertThat(stream.readChunk()).isNotNull();
            assertThat(answer.status()).isEqualTo(200);
            JsonNode body = ProxyHarness.json(answer);
            assertThat(body.get("to").asText()).isEqualTo("green");
            assertThat(body.get("inFlightAtSwitch").asInt()).isEqualTo(1);
            assertThat(body.get("drained").asBoolean()).isTrue();
            // Back between requests, the switch connection is subject to the idle timeout again.
            assertThat(switching.closedByPeer()).isTrue();
        } finally {
            System.clearProperty(AdminServer.IDLE_TIMEOUT_PROPERTY);
        }
    }

    @Test
    void pipelinedCallsAreAnsweredInOrder() throws Exception {
        try (ProxyHarness proxy = startProxy("");
             RawHttp admin = RawHttp.connect(proxy.admin())) {
            admin.send("POST /admin/switch HTTP/1.1\r\nHost: admin\r\nContent-Length: 0\r\n\r\n"
                    + "GET /admin/status HTTP/1.1\r\nHost: admin\r\n\r\n");
            JsonNode first = ProxyHarness.json(admin.read(false));
            assertThat(first.get("from").asText()).isEqualTo("blue");
            assertThat(first.get("to").asText()).isEqualTo("green");
            JsonNode second = ProxyHarness.json(admin.read(false));
            assertThat(second.get("active").asText()).isEqualTo("green");
            assertThat(second.get("generation").asLong()).isEqualTo(2);
        }
    }

    @Test
    void aBodyOverTheLimitIs413WithOneInfoLineAndNoError() throws Exception {
        try (ProxyHarness proxy = startProxy("")) {
            try (RawHttp curlStyle = RawHttp.connect(proxy.admin())) {
                // What curl sends for a large -d: the head alone, waiting for 100 Continue.
                curlStyle.send("POST /admin/reload HTTP/1.1\r\nHost: admin\r\nExpect: 100-continue\r\nContent-Length: 1000000\r\n\r\n");
                assertTooLarge(curlStyle.read(false));
            }
            try (RawHttp whole = RawHttp.connect(proxy.admin())) {
                whole.send("POST /admin/switch HTTP/1.1\r\nHost: admin\r\nContent-Length: 70000\r\n\r\n" + "x".repeat(70_000));
                assertTooLarge(whole.read(false));
            }
            try (RawHttp chunked = RawHttp.connect(proxy.admin())) {
                chunked.send("POST /admin/switch HTTP/1.1\r\nHost: admin\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + Integer.toHexString(70_000) + "\r\n" + "x".repeat(70_000) + "\r\n0\r\n\r\n");
                assertTooLarge(chunked.read(false));
            }
            assertThat(proxy.server().traffic().current().generation()).isEqualTo(1);
        }
        // Closed: every admin connection has ended, so whatever they logged is in.
        assertThat(LogCapture.errors()).isEmpty();
        assertThat(LogCapture.lines()).filteredOn(l -> l.contains("refused with 413")).hasSize(3)
                .allMatch(l -> l.startsWith("INFO AdminHandler: admin request from 127.0.0.1 refused with 413: body over 65536 bytes"));
    }

    private static void assertTooLarge(RawHttp.Response response) throws Exception {
        assertThat(response.status()).isEqualTo(413);
        assertThat(response.header("Connection")).contains("close");
        JsonNode body = ProxyHarness.json(response);
        assertThat(body.get("error").asText()).isEqualTo("body_too_large");
        assertThat(body.get("detail").asText()).isEqualTo("an admin request body may have at most 65536 bytes");
    }
}
