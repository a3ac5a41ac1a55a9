package dev.turnout.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.turnout.testing.BlueGreenTest;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import dev.turnout.testing.TestOrigin;
import org.junit.jupiter.api.Test;

class GateTest extends BlueGreenTest {

    static final String CHECKS = "health: { interval: 100ms, timeout: 100ms, rise: 2, fall: 3 }\n";


    private static String servedBy(ProxyHarness proxy) throws Exception {
        try (RawHttp client = proxy.client()) {
            return client.get("/").header("X-Origin").orElseThrow();
        }
    }

    @Test
    void anUnhealthyPoolIsRefusedAndForceOverridesTheGate() throws Exception {
        try (ProxyHarness proxy = startProxy(CHECKS)) {
            green.healthStatus(503);
            await().untilAsserted(() -> assertThat(proxy.admin("GET", "/admin/status").json()
                    .get("pools").get("green").get("healthy").asInt()).isZero());

            ProxyHarness.Admin refused = proxy.admin("POST", "/admin/switch");
            assertThat(refused.status()).isEqualTo(409);
            assertThat(refused.json().get("error").asText()).isEqualTo("gate_failed");
            assertThat(refused.json().get("reason").asText()).isEqualTo("unhealthy");
            assertThat(refused.json().get("pool").asText()).isEqualTo("green");
            assertThat(refused.json().get("detail").asText()).isEqualTo("0 of 1 backends healthy, switch.minHealthy is 1");
            assertThat(refused.json().get("unhealthy").get(0).get("backend").asText()).isEqualTo(green.address());
            assertThat(refused.json().get("unhealthy").get(0).get("error").asText()).isEqualTo("status 503");
            assertThat(servedBy(proxy)).isEqualTo("blue");
            assertThat(proxy.admin("GET", "/admin/history").json()).isEmpty();

            ProxyHarness.Admin forced = proxy.admin("POST", "/admin/switch?force=true");
            assertThat(forced.status()).isEqualTo(200);
            assertThat(forced.json().get("forced").asBoolean()).isTrue();
            assertThat(servedBy(proxy)).isEqualTo("green");
            JsonNode entry = proxy.admin("GET", "/admin/history").json().get(0);
            assertThat(entry.get("forced").asBoolean()).isTrue();
            assertThat(entry.get("reason").asText()).isEqualTo("manual");
        }
    }

    @Test
    void aBackendKilledSinceItsLastCheckFailsTheProbeAtSwitchTime() throws Exception {
        // An hour between checks: only the gate's own probe can notice that green went away.
        try (ProxyHarness proxy = startProxy("health: { interval: 1h }\n")) {
            String address = green.address();
            green.close();
            ProxyHarness.Admin refused = proxy.admin("POST", "/admin/switch");
            assertThat(refused.status()).isEqualTo(409);
            assertThat(refused.json().get("reason").asText()).isEqualTo("probe");
            assertThat(refused.json().get("detail").asText())
                    .isEqualTo("GET /health probe at switch time: 0 of 1 backends passed, switch.minHealthy is 1");
            assertThat(refused.json().get("probe").get(0).get("backend").asText()).isEqualTo(address);
            assertThat(refused.json().get("probe").get(0).get("error").asText()).isEqualTo("connection refused");
            assertThat(servedBy(proxy)).isEqualTo("blue");

            green = TestOrigin.startOn("green", Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)));
            assertThat(proxy.admin("POST", "/admin/switch").status()).isEqualTo(200);
            assertThat(servedBy(proxy)).isEqualTo("green");
        }
    }

    @Test
    void smokeRequestsMustAllPassOnEveryBackend() throws Exception {
        String config = ProxyHarness.twoPools(blue, green) + CHECKS + """
                switch:
                  minHealthy: 1
                  smoke:
                    - { method: GET, path: /v1/models, expect: [200, 401] }
                    - { method: GET, path: /status/401, expect: [200, 401] }
                """;
        try (ProxyHarness proxy = ProxyHarness.start(dir, config)) {
            assertThat(proxy.admin("POST", "/admin/switch").status()).isEqualTo(200);
            assertThat(servedBy(proxy)).isEqualTo("green");

            blue.answerAll(500);
            ProxyHarness.Admin refused = proxy.admin("POST", "/admin/rollback");
            assertThat(refused.status()).isEqualTo(409);
            assertThat(refused.json().get("reason").asText()).isEqualTo("smoke");
            assertThat(refused.json().get("detail").asText())
                    .isEqualTo("GET /v1/models on " + blue.address() + " got 500 (expected: [200,401])");
            assertThat(refused.json().get("smoke")).hasSize(2);
            assertThat(refused.json().get("smoke").get(0).get("status").asInt()).isEqualTo(500);
            assertThat(servedBy(proxy)).isEqualTo("green");

            blue.answerAll(0);
            blue.close();
            ProxyHarness.Admin dead = proxy.admin("POST", "/admin/rollback");
            assertThat(dead.status()).isEqualTo(409);
            assertThat(dead.json().get("reason").asText()).isEqualTo("probe");
            assertThat(dead.json().get("probe").get(0).get("error").asText()).isEqualTo("connection refused");

            ProxyHarness.Admin forced = proxy.admin("POST", "/admin/rollback?force=true");
            assertThat(forced.status()).isEqualTo(200);
            assertThat(forced.json().get("to").asText()).isEqualTo("blue");
        }
    }

    @Test
    void historyListsFlipsNewestFirstAndSurvivesARestart() throws Exception {
        JsonNode rolledBack;
        try (ProxyHarness proxy = startProxy("")) {
            proxy.admin("POST", "/admin/switch");
            rolledBack = proxy.admin("POST", "/admin/rollback").json();
            // The history entry gets its drain result after the answer; the restart must find it saved.
            await().untilAsserted(() -> assertThat(proxy.admin("GET", "/admin/history").json().get(0).get("drained").isBoolean()).isTrue());
        }
        try (ProxyHarness proxy = startProxy("")) {
            ProxyHarness.Admin history = proxy.admin("GET", "/admin/history");
            assertThat(history.status()).isEqualTo(200);
            assertThat(history.json()).hasSize(2);
            JsonNode newest = history.json().get(0);
            assertThat(newest.get("from").asText()).isEqualTo("green");
            assertThat(newest.get("to").asText()).isEqualTo("blue");
            assertThat(newest.get("generation").asLong()).isEqualTo(3);
            assertThat(newest.get("reason").asText()).isEqualTo("rollback");
            assertThat(newest.get("forced").asBoolean()).isFalse();
            assertThat(newest.get("by").asText()).isEqualTo("127.0.0.1");
            assertThat(newest.get("drained").asBoolean()).isTrue();
            assertThat(newest.get("drainMillis").isIntegralNumber()).isTrue();
            assertThat(newest.get("drainMillis").asLong()).isEqualTo(rolledBack.get("drainMillis").asLong());
            assertThat(newest.get("at").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
            assertThat(newest.has("detail")).isTrue();
            assertThat(history.json().get(1).get("reason").asText()).isEqualTo("manual");
            assertThat(history.json().get(1).get("generation").asLong()).isEqualTo(2);
        }
    }
}
