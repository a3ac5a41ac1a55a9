package dev.turnout.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.turnout.testing.BlueGreenTest;
import dev.turnout.testing.LogCapture;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import dev.turnout.testing.TestOrigin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SwitchTest extends BlueGreenTest {

    ProxyHarness proxy;

    @BeforeEach
    void startProxy() throws Exception {
        proxy = startProxy("");
    }

    @AfterEach
    void stopProxy() {
        proxy.close();
    }

    private static String servedBy(RawHttp client) throws Exception {
        return ProxyHarness.json(client.get("/")).get("name").asText();
    }

    @Test
    void switchMovesTheVeryNextRequestEvenOnAnOpenKeepAliveConnection() throws Exception {
        try (RawHttp client = proxy.client()) {
            assertThat(servedBy(client)).isEqualTo("blue");
            long callStart = System.nanoTime();
            ProxyHarness.Admin flip = proxy.admin("POST", "/admin/switch");
            long callMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - callStart);
            assertThat(flip.status()).isEqualTo(200);
            JsonNode body = flip.json();
            assertThat(body.get("from").asText()).isEqualTo("blue");
            assertThat(body.get("to").asText()).isEqualTo("green");
            assertThat(body.get("generation").asLong()).isEqualTo(2);
            assertThat(body.get("changed").asBoolean()).isTrue();
            assertThat(body.get("inFlightAtSwitch").asInt()).isZero();
            assertThat(body.get("saved").asBoolean()).isTrue();
            assertThat(body.get("drained").asBoolean()).isTrue();
            // Nothing was in flight: the drain ended within the call, and there are no stragglers.
            assertThat(body.get("drainMillis").isIntegralNumber()).isTrue();
            assertThat(body.get("drainMillis").asLong()).isBetween(0L, callMillis);
            assertThat(body.has("remaining")).isFalse();
            assertThat(servedBy(client)).isEqualTo("green");
        }
    }

    @Test
    void switchToTheActivePoolChangesNothing() throws Exception {
        ProxyHarness.Admin same = proxy.admin("POST", "/admin/switch?to=blue");
        assertThat(same.status()).isEqualTo(200);
        assertThat(same.json().get("changed").asBoolean()).isFalse();
        assertThat(same.json().get("generation").asLong()).isEqualTo(1);
        assertThat(proxy.admin("GET", "/admin/status").json().get("generation").asLong()).isEqualTo(1);
    }

    @Test
    void unknownPoolIs404AndChangesNothing() throws Exception {
        ProxyHarness.Admin unknown = proxy.admin("POST", "/admin/switch?to=purple");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().get("error").asText()).isEqualTo("unknown_pool");
        assertThat(unknown.json().get("detail").asText()).contains("purple", "blue", "green");
        assertThat(proxy.admin("GET", "/admin/status").json().get("active").asText()).isEqualTo("blue");
    }

    @Test
    void rollbackReturnsToThePreviousPool() throws Exception {
        ProxyHarness.Admin none = proxy.admin("POST", "/admin/rollback");
        assertThat(none.status()).isEqualTo(409);
        assertThat(none.json().get("error").asText()).isEqualTo("no_previous_pool");

        proxy.admin("POST", "/admin/switch?to=green");
        ProxyHarness.Admin back = proxy.admin("POST", "/admin/rollback");
        assertThat(back.status()).isEqualTo(200);
        assertThat(back.json().get("from").asText()).isEqualTo("green");
        assertThat(back.json().get("to").asText()).isEqualTo("blue");
        assertThat(back.json().get("generation").asLong()).isEqualTo(3);
        try (RawHttp client = proxy.client()) {
            assertThat(servedBy(client)).isEqualTo("blue");
        }
        JsonNode status = proxy.admin("GET", "/admin/status").json();
        assertThat(status.get("active").asText()).isEqualTo("blue");
        assertThat(status.get("previous").asText()).isEqualTo("green");
    }

    @Test
    void statusShowsPoolsAndBackends() throws Exception {
        try (RawHttp client = proxy.client()) {
            servedBy(client);
        }
        JsonNode status = proxy.admin("GET", "/admin/status").json();
        assertThat(status.get("active").asText()).isEqualTo("blue");
        assertThat(status.get("previous").isNull()).isTrue();
        assertThat(status.get("generation").asLong()).isEqualTo(1);
        JsonNode backend = status.get("pools").get("blue").get("backends").get(0);
        assertThat(backend.get("address").asText()).isEqualTo(blue.address());
        assertThat(backend.get("inFlight").asInt()).isZero();
        assertThat(backend.get("idleConnections").asInt()).isEqualTo(1);
        assertThat(backend.get("draining").asBoolean()).isFalse();
        assertThat(status.get("pools").get("green").get("active").asBoolean()).isFalse();
    }

    @Test
    void restartKeepsTheActivePoolAndGeneration() throws Exception {
        proxy.admin("POST", "/admin/switch?to=green");
        proxy.close();
        JsonNode saved = new com.fasterxml.jackson.databind.ObjectMapper().readTree(Files.readString(dir.resolve("state.json")));
        assertThat(saved.get("active").asText()).isEqualTo("green");

        proxy = startProxy("");
        JsonNode status = proxy.admin("GET", "/admin/status").json();
        assertThat(status.get("active").asText()).isEqualTo("green");
        assertThat(status.get("previous").asText()).isEqualTo("blue");
        assertThat(status.get("generation").asLong()).isEqualTo(2);
        try (RawHttp client = proxy.client()) {
            assertThat(servedBy(client)).isEqualTo("green");
        }
        assertThat(proxy.admin("POST", "/admin/rollback").json().get("to").asText()).isEqualTo("blue");
    }

    @Test
    void aFlipWhoseSaveFailedSaysSoAndStillStands() throws Exception {
        Path state = dir.resolve("state.json");
        // A directory where the file goes: the rename onto it fails, also for root, whom chmod does not stop.
        Files.createDirectories(state.resolve("in-the-way"));
        ProxyHarness.Admin flip = proxy.admin("POST", "/admin/switch");
        assertThat(flip.status()).isEqualTo(200);
        assertThat(flip.json().get("changed").asBoolean()).isTrue();
        assertThat(flip.json().get("saved").asBoolean()).isFalse();
        try (RawHttp client = proxy.client()) {
            assertThat(servedBy(client)).isEqualTo("green");
        }
        assertThat(LogCapture.lines()).anyMatch(l -> l.startsWith("WARN SwitchService: could not save the active pool to " + state));
    }

    @Test
    void waitFalseAnswersRightAfterTheFlip() throws Exception {
        ProxyHarness.Admin flip = proxy.admin("POST", "/admin/switch?wait=false");
        assertThat(flip.status()).isEqualTo(200);
        assertThat(flip.json().get("to").asText()).isEqualTo("green");
        assertThat(flip.json().has("drained")).isFalse();
    }

    @Test
    void adminRoutesCheckMethodsAndHealthAnswers() throws Exception {
        assertThat(proxy.admin("GET", "/admin/switch").status()).isEqualTo(405);
        assertThat(proxy.admin("GET", "/admin/nothing").status()).isEqualTo(404);
        ProxyHarness.Admin health = proxy.admin("GET", "/health");
        assertThat(health.status()).isEqualTo(200);
        assertThat(health.json().get("status").asText()).isEqualTo("ok");
    }

    @Test
    void aSwitchNeedsANameWhenThereAreMoreThanTwoPools() throws Exception {
        try (TestOrigin red = TestOrigin.start("red");
             ProxyHarness three = ProxyHarness.start(dir.resolve("three"), ProxyHarness.twoPools(blue, green)
                     + "  red: { backends: [\"" + red.address() + "\"] }\n")) {
            ProxyHarness.Admin refused = three.admin("POST", "/admin/switch");
            assertThat(refused.status()).isEqualTo(400);
            assertThat(refused.json().get("error").asText()).isEqualTo("target_required");
            assertThat(three.admin("POST", "/admin/switch?to=red").json().get("to").asText()).isEqualTo("red");
            try (RawHttp client = three.client()) {
                assertThat(servedBy(client)).isEqualTo("red");
            }
        }
    }

    @Test
    void adminPathsOnThePublicListenerAreProxiedAndNeverFlip() throws Exception {
        try (RawHttp client = proxy.client()) {
            client.send("POST /admin/switch HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
            JsonNode echo = ProxyHarness.json(client.read(false));
            assertThat(echo.get("name").asText()).isEqualTo("blue");
            assertThat(echo.get("uri").asText()).isEqualTo("/admin/switch");
        }
        assertThat(proxy.admin("GET", "/admin/status").json().get("generation").asLong()).isEqualTo(1);
    }
}
