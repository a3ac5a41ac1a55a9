package dev.turnout.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.turnout.testing.BlueGreenTest;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import org.junit.jupiter.api.Test;

class AutoRollbackTest extends BlueGreenTest {


    @Test
    void aPoolAnsweringOnly500sIsRolledBackWithinAFewDozenRequests() throws Exception {
        try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.twoPools(blue, green)
                + "rollback: { auto: true, window: 5m, maxErrorRate: 0.05, minRequests: 20 }\n")) {
            green.answerAll(500);
            assertThat(proxy.admin("POST", "/admin/switch").json().get("to").asText()).isEqualTo("green");
            int sent = 0;
            try (RawHttp client = proxy.client()) {
                while (proxy.server().traffic().current().active().name().equals("green") && sent < 40) {
                    client.get("/chat");
                    sent++;
                }
            }
            await().untilAsserted(() -> assertThat(proxy.admin("GET", "/admin/status").json().get("active").asText()).isEqualTo("blue"));
            assertThat(sent).isLessThanOrEqualTo(40);
            assertThat(green.requests()).isBetween(20, 40);

            JsonNode newest = proxy.admin("GET", "/admin/history").json().get(0);
            assertThat(newest.get("reason").asText()).isEqualTo("auto-rollback");
            assertThat(newest.get("from").asText()).isEqualTo("green");
            assertThat(newest.get("to").asText()).isEqualTo("blue");
            assertThat(newest.get("by").asText()).isEqualTo("turnout");
            assertThat(newest.get("detail").asText()).isEqualTo("error rate 1.00 over 20 requests");
            assertThat(newest.get("generation").asLong()).isEqualTo(3);

            // No flapping: blue is not watched after an automatic rollback.
            JsonNode status = proxy.admin("GET", "/admin/status").json();
            assertThat(status.has("rollbackWatch")).isFalse();
            blue.answerAll(500);
            try (RawHttp client = proxy.client()) {
                for (int i = 0; i < 30; i++) {
                    client.get("/still-blue");
                }
            }
            assertThat(proxy.admin("GET", "/admin/status").json().get("active").asText()).isEqualTo("blue");
            assertThat(proxy.admin("GET", "/admin/history").json()).hasSize(2);
        }
    }

    @Test
    void aFewErrorsUnderTheRateDoNotRollBack() throws Exception {
        try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.twoPools(blue, green)
                + "rollback: { maxErrorRate: 0.2, minRequests: 10 }\n")) {
            proxy.admin("POST", "/admin/switch");
            try (RawHttp client = proxy.client()) {
                for (int i = 0; i < 50; i++) {
                    assertThat(client.get(i % 10 == 0 ? "/status/500" : "/ok").status()).isIn(200, 500);
                }
            }
            JsonNode status = proxy.admin("GET", "/admin/status").json();
            assertThat(status.get("active").asText()).isEqualTo("green");
            assertThat(status.get("rollbackWatch").get("requests").asLong()).isEqualTo(50);
            assertThat(status.get("rollbackWatch").get("errors").asLong()).isEqualTo(5);
        }
    }

    @Test
    void aPoolWithNoHealthyBackendIsRolledBack() throws Exception {
        try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.twoPools(blue, green)
                + "health: { interval: 100ms, timeout: 100ms, rise: 1, fall: 2 }\n")) {
            proxy.admin("POST", "/admin/switch");
            green.healthStatus(503);
            await().untilAsserted(() -> assertThat(proxy.admin("GET", "/admin/status").json().get("active").asText()).isEqualTo("blue"));
            JsonNode newest = proxy.admin("GET", "/admin/history").json().get(0);
            assertThat(newest.get("reason").asText()).isEqualTo("auto-rollback");
            assertThat(newest.get("detail").asText()).isEqualTo("no healthy backend for 2 checks");
        }
    }

    @Test
    void previewTrafficNeverCountsTowardsTheRollbackDecision() throws Exception {
        try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.twoPools(blue, green)
                + "preview: { header: X-Environment }\nrollback: { minRequests: 5 }\n")) {
            proxy.admin("POST", "/admin/switch");
            try (RawHttp client = proxy.client()) {
                for (int i = 0; i < 20; i++) {
                    assertThat(client.get("/status/500", "X-Environment: blue").status()).isEqualTo(500);
                }
            }
            JsonNode status = proxy.admin("GET", "/admin/status").json();
            assertThat(status.get("active").asText()).isEqualTo("green");
            assertThat(status.get("rollbackWatch").get("requests").asLong()).isZero();
        }
    }
}
