package dev.turnout.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.turnout.testing.BlueGreenTest;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import java.io.EOFException;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FaultTest extends BlueGreenTest {

    ProxyHarness proxy;

    @BeforeEach
    void startProxy() throws Exception {
        proxy = startProxy("health: { interval: 1h }\n");
    }

    @AfterEach
    void stopProxy() {
        proxy.close();
    }

    @Test
    void aBackendKilledMidResponseTruncatesThatClientOnlyAndIsMarkedDown() throws Exception {
        try (RawHttp victim = proxy.client(); RawHttp bystander = proxy.client()) {
            assertThat(bystander.get("/before").status()).isEqualTo(200);
            proxy.admin("POST", "/admin/switch?to=green");
            victim.send("GET /stream?chunks=5&intervalMs=1&gated=true HTTP/1.1\r\nHost: t\r\n\r\n");
            victim.readHead();
            victim.readChunk();
            green.close();
            Assertions.assertThatThrownBy(() -> {
                while (victim.readChunk() != null) {
                    // reading until the truncation shows
                }
            }).isInstanceOf(EOFException.class);
            JsonNode backend = proxy.admin("GET", "/admin/status").json().get("pools").get("green").get("backends").get(0);
            assertThat(backend.get("healthy").asBoolean()).isFalse();
            assertThat(backend.get("lastError").asText()).isEqualTo("connection lost mid-response");
            assertThat(backend.get("inFlight").asInt()).isZero();
            proxy.admin("POST", "/admin/rollback?force=true");
            assertThat(bystander.get("/after").status()).isEqualTo(200);
        }
    }

    @Test
    void garbageOrABrokenStatusLineFromABackendIs502() throws Exception {
        try (RawHttp client = proxy.client()) {
            RawHttp.Response garbage = client.get("/garbage");
            assertThat(garbage.status()).isEqualTo(502);
            assertThat(ProxyHarness.json(garbage).get("error").asText()).isEqualTo("bad_gateway");
        }
        try (RawHttp client = proxy.client()) {
            RawHttp.Response broken = client.get("/badstatus");
            assertThat(broken.status()).isEqualTo(502);
            assertThat(ProxyHarness.json(broken).get("detail").asText()).startsWith("invalid response");
        }
    }

    @Test
    void aClientGoneMidUploadClosesTheBackendConnectionAndEndsTheRequest() throws Exception {
        try (RawHttp client = proxy.client()) {
            client.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000\r\n\r\n");
            client.send(new byte[100_000]);
            await().untilAsserted(() -> assertThat(blue.openConnections()).isEqualTo(1));
            assertThat(proxy.server().traffic().current().active().inFlight()).isEqualTo(1);
        }
        // The test closed its socket in the middle of the upload.
        await().untilAsserted(() -> {
            assertThat(proxy.server().traffic().current().active().inFlight()).isZero();
            assertThat(blue.openConnections()).isZero();
        });
    }
}
