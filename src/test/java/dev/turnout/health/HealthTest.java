package dev.turnout.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.turnout.testing.BlueGreenTest;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import dev.turnout.testing.TestOrigin;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HealthTest extends BlueGreenTest {

    static final String FAST_CHECKS = "health: { path: /health, interval: 100ms, timeout: 100ms, rise: 2, fall: 3 }\n";

    ProxyHarness proxy;

    @BeforeEach
    void startProxy() throws Exception {
        proxy = startProxy(FAST_CHECKS);
    }

    @AfterEach
    void stopProxy() {
        proxy.close();
    }

    private JsonNode backend(String pool) throws Exception {
        return proxy.admin("GET", "/admin/status").json().get("pools").get(pool).get("backends").get(0);
    }

    @Test
    void statusShowsEachBackendsChecks() throws Exception {
        await().untilAsserted(() -> assertThat(backend("green").get("passes").asInt()).isGreaterThanOrEqualTo(2));
        JsonNode b = backend("green");
        assertThat(b.get("healthy").asBoolean()).isTrue();
        assertThat(b.get("failures").asInt()).isZero();
        assertThat(b.get("lastCheck").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
        assertThat(b.get("latencyMillis").isNumber()).isTrue();
        assertThat(b.get("lastError").isNull()).isTrue();
        assertThat(proxy.admin("GET", "/admin/status").json().get("pools").get("green").get("healthy").asInt()).isEqualTo(1);
    }

    @Test
    void oneFailedCheckDoesNotMarkABackendDownWhenFallIsThree() throws Exception {
        await().untilAsserted(() -> assertThat(backend("green").get("passes").asInt()).isGreaterThanOrEqualTo(2));
        green.failNextHealthChecks(1);
        // The one failure stands for one check interval (100 ms) before a pass resets it: poll often enough to see it.
        await().pollInterval(Duration.ofMillis(10))
                .untilAsserted(() -> assertThat(backend("green").get("failures").asInt()).isEqualTo(1));
        assertThat(backend("green").get("healthy").asBoolean()).isTrue();
        await().untilAsserted(() -> assertThat(backend("green").get("passes").asInt()).isPositive());
        assertThat(backend("green").get("healthy").asBoolean()).isTrue();

        green.healthStatus(500);
        await().untilAsserted(() -> assertThat(backend("green").get("healthy").asBoolean()).isFalse());
        assertThat(backend("green").get("failures").asInt()).isGreaterThanOrEqualTo(3);
        assertThat(backend("green").get("lastError").asText()).isEqualTo("status 500");
        green.healthStatus(200);
        await().untilAsserted(() -> assertThat(backend("green").get("healthy").asBoolean()).isTrue());
        assertThat(backend("green").get("passes").asInt()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void requestsAvoidAnUnhealthyBackendAndFailOpenWhenNoneIsHealthy() throws Exception {
        try (TestOrigin sick = TestOrigin.start("sick");
             TestOrigin well = TestOrigin.start("well");
             ProxyHarness two = ProxyHarness.start(dir.resolve("two"), "pools:\n"
                     + "  blue: { backends: [\"" + sick.address() + "\", \"" + well.address() + "\"] }\n"
                     + "  green: { backends: [\"" + green.address() + "\"] }\n" + FAST_CHECKS)) {
            sick.healthStatus(500);
            await().untilAsserted(() -> assertThat(two.admin("GET", "/admin/status").json()
                    .get("pools").get("blue").get("healthy").asInt()).isEqualTo(1));
            try (RawHttp client = two.client()) {
                for (int i = 0; i < 6; i++) {
                    assertThat(client.get("/").header("X-Origin")).contains("well");
                }
            }
            assertThat(sick.requests()).isZero();

            well.healthStatus(500);
            await().untilAsserted(() -> assertThat(two.admin("GET", "/admin/status").json()
                    .get("pools").get("blue").get("healthy").asInt()).isZero());
            int before = sick.requests() + well.requests();
            try (RawHttp client = two.client()) {
                for (int i = 0; i < 4; i++) {
                    assertThat(client.get("/").status()).isEqualTo(200);
                }
            }
            assertThat(sick.requests() + well.requests() - before).isEqualTo(4);
            assertThat(sick.requests()).isPositive();
        }
    }

    @Test
    void aRefusedConnectMarksTheBackendDownAtOnceAndChecksBringItBack() throws Exception {
        green.close();
        int port = Integer.parseInt(green.address().substring(green.address().indexOf(':') + 1));
        proxy.admin("POST", "/admin/switch?to=green&force=true");
        try (RawHttp client = proxy.client()) {
            assertThat(client.get("/").status()).isEqualTo(502);
        }
        JsonNode b = backend("green");
        assertThat(b.get("healthy").asBoolean()).isFalse();
        try (TestOrigin back = TestOrigin.startOn("green", port)) {
            await().untilAsserted(() -> assertThat(backend("green").get("healthy").asBoolean()).isTrue());
            try (RawHttp client = proxy.client()) {
                assertThat(client.get("/").header("X-Origin")).contains("green");
            }
        }
    }
}
