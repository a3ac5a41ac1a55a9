package dev.turnout.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.turnout.testing.BlueGreenTest;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import org.junit.jupiter.api.Test;

class AutoRollbackTest extends BlueGreenTest {

    /** Over loopback, distinct client addresses come from X-Forwarded-For, which Turnout reads only from a trusted proxy. */
    static final String TRUSTED_LOOPBACK = "trustedProxies: [127.0.0.1]\n";

    /** The header a trusted proxy in front of Turnout would send for {@code client}. */
    private static String forwardedFor(String client) {
        return "X-Forwarded-For: " + client;
    }

    private static String active(ProxyHarness proxy) throws Exception {
        return proxy.admin("GET", "/admin/status").json().get("active").asText();
    }

    private static void awaitAutoRollbackToBlue(ProxyHarness proxy, String detail) throws Exception {
        await().untilAsserted(() -> assertThat(active(proxy)).isEqualTo("blue"));
        JsonNode newest = proxy.admin("GET", "/admin/history").json().get(0);
        assertThat(newest.get("reason").asText()).isEqualTo("auto-rollback");
        assertThat(newest.get("detail").asText()).isEqualTo(detail);
    }

    @Test
    void aPoolAnsweringOnly500sIsRolledBackWithinAFewDozenRequests() throws Exception {
        try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.twoPools(blue, green) + TRUSTED_LOOPBACK
                + "rollback: { auto: true, window: 5m, maxErrorRate: 0.05, minRequests: 20, minClients: 3 }\n")) {
            green.answerAll(500);
            assertThat(proxy.admin("POST", "/admin/switch").json().get("to").asText()).isEqualTo("green");
            int sent = 0;
            try (RawHttp client = proxy.client()) {
                while (proxy.server().traffic().current().active().name().equals("green") && sent < 40) {
                    client.get("/chat", forwardedFor("203.0.113." + sent % 4));
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
            assertThat(status.get("rollbackWatch").get("erroringClients").asInt()).isEqualTo(1);
            assertThat(status.get("rollbackWatch").get("baselineErrorRate").asDouble()).isZero();
        }
    }

    @Test
    void oneClientAddressCannotRollBackAHealthyReleaseButMinClientsAddressesCan() throws Exception {
        try (ProxyHarness proxy = startProxy(TRUSTED_LOOPBACK + "rollback: { maxErrorRate: 0.05, minRequests: 20, minClients: 3 }\n")) {
            proxy.admin("POST", "/admin/switch");
            try (RawHttp client = proxy.client()) {
                for (int i = 0; i < 40; i++) {
                    // The left-most entry is the client's to invent; the trusted hop on the right is skipped.
                    String chain = "198.51.100." + i + ", 203.0.113.7, 127.0.0.1";
                    assertThat(client.get("/status/500", forwardedFor(chain)).status()).isEqualTo(500);
                }
                assertThat(active(proxy)).isEqualTo("green");
                JsonNode watch = proxy.admin("GET", "/admin/status").json().get("rollbackWatch");
                assertThat(watch.get("errors").asLong()).isEqualTo(40);
                assertThat(watch.get("erroringClients").asInt()).isEqualTo(1);

                client.get("/status/500", forwardedFor("203.0.113.8"));
                assertThat(proxy.admin("GET", "/admin/status").json().get("rollbackWatch").get("erroringClients").asInt()).isEqualTo(2);
                assertThat(active(proxy)).isEqualTo("green");
                client.get("/status/500", forwardedFor("203.0.113.9"));
            }
            awaitAutoRollbackToBlue(proxy, "error rate 1.00 over 42 requests");
        }
    }

    @Test
    void withoutTrustedProxiesForwardedForDoesNotMakeOneClientMany() throws Exception {
        try (ProxyHarness proxy = startProxy("rollback: { maxErrorRate: 0.05, minRequests: 20, minClients: 3 }\n")) {
            proxy.admin("POST", "/admin/switch");
            try (RawHttp client = proxy.client()) {
                for (int i = 0; i < 40; i++) {
                    assertThat(client.get("/status/500", forwardedFor("203.0.113." + i)).status()).isEqualTo(500);
                }
            }
            JsonNode status = proxy.admin("GET", "/admin/status").json();
            assertThat(status.get("active").asText()).isEqualTo("green");
            assertThat(status.get("rollbackWatch").get("errors").asLong()).isEqualTo(40);
            assertThat(status.get("rollbackWatch").get("erroringClients").asInt()).isEqualTo(1);
        }
    }

    /** Every tenth request fails, from seven client addresses in turn. */
    private static void tenPercentErrors(RawHttp client, int requests) throws Exception {
        for (int i = 0; i < requests; i++) {
            assertThat(client.get(i % 10 == 0 ? "/status/500" : "/ok", forwardedFor("203.0.113." + i % 7)).status()).isIn(200, 500);
        }
    }

    @Test
    void theNewPoolIsJudgedAgainstTheOldPoolsOwnErrorRate() throws Exception {
        try (ProxyHarness proxy = startProxy(TRUSTED_LOOPBACK + "rollback: { maxErrorRate: 0.05, minRequests: 20, minClients: 3 }\n")) {
            try (RawHttp client = proxy.client()) {
                tenPercentErrors(client, 100);
                proxy.admin("POST", "/admin/switch");
                // As bad as blue was: 0.10 is not above 0.10 + 0.05.
                tenPercentErrors(client, 100);
                JsonNode status = proxy.admin("GET", "/admin/status").json();
                assertThat(status.get("active").asText()).isEqualTo("green");
                JsonNode watch = status.get("rollbackWatch");
                assertThat(watch.get("baselineErrorRate").asDouble()).isEqualTo(0.1);
                assertThat(watch.get("requests").asLong()).isEqualTo(100);
                assertThat(watch.get("errors").asLong()).isEqualTo(10);
                assertThat(watch.get("erroringClients").asInt()).isEqualTo(3);

                // Much worse than blue: 16 errors in 106 requests is above 0.15.
                for (int i = 0; i < 6; i++) {
                    assertThat(client.get("/status/500", forwardedFor("203.0.113." + i % 7)).status()).isEqualTo(500);
                }
            }
            awaitAutoRollbackToBlue(proxy, "error rate 0.15 over 106 requests, above 0.10 before the flip");
        }
    }

    @Test
    void aPoolWithNoHealthyBackendIsRolledBack() throws Exception {
        try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.twoPools(blue, green)
                + "health: { interval: 100ms, timeout: 100ms, rise: 1, fall: 2 }\n")) {
            proxy.admin("POST", "/admin/switch");
            green.healthStatus(503);
            awaitAutoRollbackToBlue(proxy, "no healthy backend for 2 checks");
        }
    }

    private static long greenFailures(ProxyHarness proxy) throws Exception {
        return proxy.admin("GET", "/admin/status").json().get("pools").get("green").get("backends").get(0).get("failures").asLong();
    }

    @Test
    void aForcedSwitchIsNotUndoneForFailingHealthChecksWhileItsAnswersAreGood() throws Exception {
        try (ProxyHarness proxy = startProxy("health: { interval: 100ms, timeout: 100ms, rise: 1, fall: 2 }\n")) {
            green.healthStatus(503);
            await().untilAsserted(() -> assertThat(proxy.admin("GET", "/admin/status").json()
                    .get("pools").get("green").get("healthy").asInt()).isZero());
            assertThat(proxy.admin("POST", "/admin/switch").status()).isEqualTo(409);

            assertThat(proxy.admin("POST", "/admin/switch?force=true").status()).isEqualTo(200);
            long failuresAtFlip = greenFailures(proxy);
            // Twice health.fall more failed checks: the no-healthy-backend rule would have tripped by then.
            await().untilAsserted(() -> assertThat(greenFailures(proxy)).isGreaterThanOrEqualTo(failuresAtFlip + 4));
            JsonNode status = proxy.admin("GET", "/admin/status").json();
            assertThat(status.get("active").asText()).isEqualTo("green");
            assertThat(status.has("rollbackWatch")).isTrue();
            try (RawHttp client = proxy.client()) {
                assertThat(client.get("/").header("X-Origin")).contains("green");
            }
            assertThat(proxy.admin("GET", "/admin/history").json()).hasSize(1);
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
