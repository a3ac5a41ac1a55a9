package dev.turnout.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.turnout.testing.BlueGreenTest;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class DrainTest extends BlueGreenTest {


    @Test
    void aStreamBegunOnBlueFinishesIntactAfterTheFlipWhileNewRequestsGoToGreen() throws Exception {
        try (ProxyHarness proxy = startProxy("");
             RawHttp stream = proxy.client()) {
            stream.send("POST /stream?chunks=4&intervalMs=1&gated=true HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}");
            RawHttp.Head head = stream.readHead();
            assertThat(head.header("X-Origin")).contains("blue");
            assertThat(chunk(stream)).isEqualTo("data: blue 1\n\n");

            long callStart = System.nanoTime();
            CompletableFuture<ProxyHarness.Admin> flip = CompletableFuture.supplyAsync(() -> call(proxy, "/admin/switch"));
            await().untilAsserted(() -> assertThat(proxy.server().traffic().current().active().name()).isEqualTo("green"));
            try (RawHttp fresh = proxy.client()) {
                assertThat(ProxyHarness.json(fresh.get("/")).get("name").asText()).isEqualTo("green");
            }
            JsonNode status = proxy.admin("GET", "/admin/status").json();
            assertThat(status.get("pools").get("blue").get("draining").asBoolean()).isTrue();
            assertThat(status.get("pools").get("blue").get("backends").get(0).get("inFlight").asInt()).isEqualTo(1);
            assertThat(flip).isNotDone();

            blue.allowChunks(10);
            assertThat(chunk(stream)).isEqualTo("data: blue 2\n\n");
            assertThat(chunk(stream)).isEqualTo("data: blue 3\n\n");
            assertThat(chunk(stream)).isEqualTo("data: blue 4\n\n");
            assertThat(stream.readChunk()).isNull();

            JsonNode answer = flip.get().json();
            long callMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - callStart);
            assertThat(answer.get("from").asText()).isEqualTo("blue");
            assertThat(answer.get("to").asText()).isEqualTo("green");
            assertThat(answer.get("inFlightAtSwitch").asInt()).isEqualTo(1);
            assertThat(answer.get("drained").asBoolean()).isTrue();
            assertThat(answer.has("remaining")).isFalse();
            assertThat(answer.get("drainMillis").isIntegralNumber()).isTrue();
            assertThat(answer.get("drainMillis").asLong()).isBetween(0L, callMillis);
            // The flip's history entry gets the same drain result once the drain has ended.
            await().untilAsserted(() -> {
                JsonNode entry = proxy.admin("GET", "/admin/history").json().get(0);
                assertThat(entry.get("generation").asLong()).isEqualTo(answer.get("generation").asLong());
                assertThat(entry.get("drained").asBoolean()).isTrue();
                assertThat(entry.get("drainMillis").asLong()).isEqualTo(answer.get("drainMillis").asLong());
            });
            // The connection that carried the stream is closed, not pooled: blue is retired.
            await().untilAsserted(() -> assertThat(blue.openConnections()).isZero());
        }
    }

    @Test
    void aDrainTimeoutAnswersWithTheStragglersButKillsNothing() throws Exception {
        try (ProxyHarness proxy = startProxy("drain: { timeout: 200ms }\n");
             RawHttp stream = proxy.client()) {
            stream.send("GET /stream?chunks=2&intervalMs=1&gated=true HTTP/1.1\r\nHost: t\r\n\r\n");
            stream.readHead();
            assertThat(chunk(stream)).isEqualTo("data: blue 1\n\n");

            JsonNode answer = proxy.admin("POST", "/admin/switch").json();
            assertThat(answer.get("inFlightAtSwitch").asInt()).isEqualTo(1);
            assertThat(answer.get("drained").asBoolean()).isFalse();
            assertThat(answer.get("remaining").asInt()).isEqualTo(1);
            // The stream is still held: the call answered at the timeout, not at the end of the stream.
            assertThat(proxy.server().traffic().current().pool("blue").orElseThrow().inFlight()).isEqualTo(1);

            blue.allowChunks(5);
            assertThat(chunk(stream)).isEqualTo("data: blue 2\n\n");
            assertThat(stream.readChunk()).isNull();
        }
    }

    @Test
    void idleConnectionsOfTheOldPoolAreClosedAtTheFlip() throws Exception {
        try (ProxyHarness proxy = startProxy("");
             RawHttp client = proxy.client()) {
            client.get("/");
            assertThat(blue.openConnections()).isEqualTo(1);
            proxy.admin("POST", "/admin/switch");
            await().untilAsserted(() -> assertThat(blue.openConnections()).isZero());
            assertThat(ProxyHarness.json(client.get("/")).get("name").asText()).isEqualTo("green");
        }
    }

    @Test
    void previewStreamsOnTheStandbyPoolAreInFlightNotDrainingWhileARetiredPoolsStreamIsDraining() throws Exception {
        try (ProxyHarness proxy = startProxy("preview: { header: X-Environment }\n");
             RawHttp preview = proxy.client();
             RawHttp stream = proxy.client()) {
            preview.send("GET /stream?chunks=2&intervalMs=1&gated=true HTTP/1.1\r\nHost: t\r\nX-Environment: green\r\n\r\n");
            preview.readHead();
            assertThat(chunk(preview)).isEqualTo("data: green 1\n\n");
            JsonNode standby = proxy.admin("GET", "/admin/status").json().get("pools").get("green");
            assertThat(standby.get("inFlight").asInt()).isEqualTo(1);
            assertThat(standby.get("draining").asBoolean()).isFalse();
            assertThat(standby.get("backends").get(0).get("draining").asBoolean()).isFalse();

            stream.send("GET /stream?chunks=2&intervalMs=1&gated=true HTTP/1.1\r\nHost: t\r\n\r\n");
            stream.readHead();
            assertThat(chunk(stream)).isEqualTo("data: blue 1\n\n");
            proxy.admin("POST", "/admin/switch?wait=false");
            JsonNode pools = proxy.admin("GET", "/admin/status").json().get("pools");
            assertThat(pools.get("blue").get("draining").asBoolean()).isTrue();
            assertThat(pools.get("blue").get("backends").get(0).get("draining").asBoolean()).isTrue();
            assertThat(pools.get("green").get("draining").asBoolean()).isFalse();

            blue.allowChunks(5);
            assertThat(chunk(stream)).isEqualTo("data: blue 2\n\n");
            assertThat(stream.readChunk()).isNull();
            await().untilAsserted(() -> assertThat(proxy.admin("GET", "/admin/status").json()
                    .get("pools").get("blue").get("draining").asBoolean()).isFalse());
            green.allowChunks(5);
            assertThat(chunk(preview)).isEqualTo("data: green 2\n\n");
            assertThat(preview.readChunk()).isNull();
        }
    }

    @Test
    void aFlipBackToTheDrainingPoolCancelsItsDrainAndTheWaitingSwitchSaysSo() throws Exception {
        try (ProxyHarness proxy = startProxy("");
             RawHttp stream = proxy.client()) {
            stream.send("GET /stream?chunks=2&intervalMs=1&gated=true HTTP/1.1\r\nHost: t\r\n\r\n");
            stream.readHead();
            assertThat(chunk(stream)).isEqualTo("data: blue 1\n\n");

            CompletableFuture<ProxyHarness.Admin> flip = CompletableFuture.supplyAsync(() -> call(proxy, "/admin/switch"));
            await().untilAsserted(() -> assertThat(proxy.server().traffic().current().active().name()).isEqualTo("green"));
            JsonNode back = proxy.admin("POST", "/admin/switch?to=blue").json();
            assertThat(back.get("drained").asBoolean()).isTrue();

            JsonNode answer = flip.get().json();
            assertThat(answer.get("inFlightAtSwitch").asInt()).isEqualTo(1);
            assertThat(answer.get("drained").asBoolean()).isFalse();
            assertThat(answer.get("remaining").asInt()).isEqualTo(1);
            assertThat(proxy.admin("GET", "/admin/status").json().get("pools").get("blue").get("draining").asBoolean()).isFalse();

            blue.allowChunks(5);
            assertThat(chunk(stream)).isEqualTo("data: blue 2\n\n");
            assertThat(stream.readChunk()).isNull();
        }
    }

    private static String chunk(RawHttp http) throws Exception {
        return new String(http.readChunk(), StandardCharsets.UTF_8);
    }

    private static ProxyHarness.Admin call(ProxyHarness proxy, String path) {
        try {
            return proxy.admin("POST", path);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
