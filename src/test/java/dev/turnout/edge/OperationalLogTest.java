package dev.turnout.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.turnout.testing.BlueGreenTest;
import dev.turnout.testing.LogCapture;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import dev.turnout.testing.TestOrigin;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What an operator reads after a bad moment: a backend that went down and came back, a 502 or 504
 * Turnout answered itself, a switch the gate refused, a refused admin call each leave one line.
 */
class OperationalLogTest extends BlueGreenTest {

    private static final String FAST_CHECKS = "health: { path: /health, interval: 100ms, timeout: 100ms, rise: 2, fall: 3 }\n";

    private ProxyHarness proxy;

    @BeforeEach
    void clearLog() {
        LogCapture.clear();
    }

    @AfterEach
    void stopProxy() {
        if (proxy != null) {
            proxy.close();
        }
    }

    private static List<String> lines(String start) {
        return LogCapture.lines().stream().filter(l -> l.startsWith(start)).toList();
    }

    @Test
    void a502AndA504AnsweredByTurnoutEachLeaveAWarnLineWithPoolBackendAndReasonButNoQuery() throws Exception {
        proxy = startProxy("upstream: { firstByteTimeout: 300ms }\n");
        try (RawHttp client = proxy.client()) {
            assertThat(client.get("/slow?ms=20000").status()).isEqualTo(504);
        }
        assertThat(lines("WARN ProxyExchange: answered 504")).singleElement().asString()
                .startsWith("WARN ProxyExchange: answered 504 gateway_timeout to GET /slow from 127.0.0.1: pool blue, backend "
                        + blue.address() + ": ");
        blue.resetAll(true);
        try (RawHttp client = proxy.client()) {
            assertThat(client.get("/v1/models?api_key=sk-secret", "X-Request-Id: req-502").status()).isEqualTo(502);
        }
        assertThat(lines("WARN ProxyExchange: answered 502")).singleElement().asString()
                .startsWith("WARN ProxyExchange: answered 502 bad_gateway to GET /v1/models from 127.0.0.1: pool blue, backend "
                        + blue.address() + ": ")
                .endsWith(" (request id req-502)")
                .doesNotContain("sk-secret");
        // An answer for the client's own fault (here 400) is not a line: the client is told, the operator need not be.
        try (RawHttp client = proxy.client()) {
            client.send("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").read(false);
        }
        assertThat(lines("WARN ProxyExchange")).hasSize(2);
    }

    @Test
    void aKilledBackendIsOneWarnLineWithTheErrorAndItsReturnAnother() throws Exception {
        proxy = startProxy(FAST_CHECKS);
        String address = blue.address();
        int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
        blue.close();
        for (int i = 0; i < 5; i++) {
            try (RawHttp client = proxy.client()) {
                assertThat(client.get("/").status()).isGreaterThanOrEqualTo(500);
            }
        }
        await().untilAsserted(() -> assertThat(lines("WARN BackendHealth")).isNotEmpty());
        assertThat(lines("WARN BackendHealth")).singleElement().asString()
                .startsWith("WARN BackendHealth: backend " + address + " of pool blue is down: connect failed: ");
        // Each request was answered by Turnout, and each answer is a line (ten at most in ten seconds).
        assertThat(lines("WARN ProxyExchange: answered 502 bad_gateway to GET / from 127.0.0.1: pool blue, backend " + address
                + ": connection refused")).hasSize(5);

        blue = TestOrigin.startOn("blue", port);
        await().untilAsserted(() -> assertThat(lines("WARN BackendHealth")).hasSize(2));
        assertThat(lines("WARN BackendHealth").get(1))
                .startsWith("WARN BackendHealth: backend " + address + " of pool blue is up again: 2 health check(s) passed (it was down: connect failed: ");
    }

    @Test
    void aSwitchTheGateRefusesIsAnInfoLine() throws Exception {
        proxy = startProxy(FAST_CHECKS);
        green.healthStatus(503);
        await().untilAsserted(() -> assertThat(proxy.admin("GET", "/admin/status").json()
                .get("pools").get("green").get("healthy").asInt()).isZero());
        assertThat(proxy.admin("POST", "/admin/switch").status()).isEqualTo(409);
        assertThat(lines("INFO SwitchGate")).containsExactly("INFO SwitchGate: switch to green by 127.0.0.1 refused by the gate "
                + "with 409: 0 of 1 backends healthy, switch.minHealthy is 1");
    }

    @Test
    void anAdminCallRefusedWith401IsAnInfoLineWithTheClientAddressAndNeverTheToken() throws Exception {
        proxy = ProxyHarness.start(dir, "admin: { listen: 127.0.0.1:0, token: s3cret-token }\n" + ProxyHarness.twoPools(blue, green));
        assertThat(proxy.admin("GET", "/admin/status").status()).isEqualTo(401);
        try (RawHttp admin = RawHttp.connect(proxy.admin())) {
            admin.send("POST /admin/switch HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer s3cret-tokeN\r\nContent-Length: 0\r\n\r\n");
            assertThat(admin.read(false).status()).isEqualTo(401);
        }
        assertThat(lines("INFO AdminHandler")).containsExactly(
                "INFO AdminHandler: admin request GET /admin/status from 127.0.0.1 refused with 401: no token",
                "INFO AdminHandler: admin request POST /admin/switch from 127.0.0.1 refused with 401: wrong token");
    }

}
