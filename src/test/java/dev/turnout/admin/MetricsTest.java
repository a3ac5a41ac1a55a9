package dev.turnout.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.BlueGreenTest;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** GET /metrics over a real socket, after real traffic: exact counts, the flip, the formats. */
class MetricsTest extends BlueGreenTest {

    private static final Pattern SAMPLE = Pattern.compile("^([a-z_]+)(\\{[^}]*\\})? ([-0-9.eE+]+|NaN)$", Pattern.MULTILINE);

    private ProxyHarness proxy;

    @AfterEach
    void stopProxy() {
        if (proxy != null) {
            proxy.close();
        }
    }

    private RawHttp.Response scrape(String... headerLines) throws Exception {
        try (RawHttp admin = RawHttp.connect(proxy.admin())) {
            // An address as Host, as a Prometheus scraping the loopback sends: without a token, a domain name is refused.
            String[] lines = java.util.Arrays.copyOf(headerLines, headerLines.length + 1);
            lines[headerLines.length] = "Host: 127.0.0.1";
            return admin.get("/metrics", lines);
        }
    }

    /** The sum of every sample of {@code name} whose labels contain each of {@code labels} (like {@code pool="blue"}). */
    private static double sum(String text, String name, String... labels) {
        double sum = 0;
        Matcher m = SAMPLE.matcher(text);
        while (m.find()) {
            if (!m.group(1).equals(name)) {
                continue;
            }
            String found = m.group(2) == null ? "" : m.group(2);
            boolean all = true;
            for (String label : labels) {
                all &= found.contains(label);
            }
            if (all) {
                sum += Double.parseDouble(m.group(3));
            }
        }
        return sum;
    }

    @Test
    void everyRequestCountsOnceAndAFlipMovesTheActivePool() throws Exception {
        proxy = startProxy("");
        String before = scrape().text();
        assertThat(sum(before, "turnout_active_pool", "pool=\"blue\"")).isEqualTo(1);
        assertThat(sum(before, "turnout_active_pool", "pool=\"green\"")).isZero();
        double counted = sum(before, "turnout_requests_total");
        try (RawHttp client = proxy.client()) {
            for (int i = 0; i < 30; i++) {
                assertThat(client.get("/hello?i=" + i).status()).isEqualTo(200);
            }
            assertThat(client.get("/status/404").status()).isEqualTo(404);
        }
        try (RawHttp client = proxy.client()) {
            // Refused before routing: counted as requests too, under status="refused", and by code.
            client.send("TRACE / HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(client.read(false).status()).isEqualTo(405);
        }
        try (RawHttp client = proxy.client()) {
            // A body that breaks mid-request is one request, though it was routed and then refused.
            client.send("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n");
            assertThat(client.read(false).status()).isEqualTo(400);
        }
        String after = scrape().text();
        assertThat(sum(after, "turnout_requests_total") - counted).isEqualTo(33);
        assertThat(sum(after, "turnout_requests_total", "pool=\"blue\"", "status=\"2xx\"")).isEqualTo(30);
        // The 404, and the broken body: the client's failure, counted as nginx's 499.
        assertThat(sum(after, "turnout_requests_total", "pool=\"blue\"", "status=\"4xx\"")).isEqualTo(2);
        assertThat(sum(after, "turnout_requests_total", "status=\"refused\"")).isEqualTo(1);
        assertThat(sum(after, "turnout_client_refusals_total", "code=\"405\"")).isEqualTo(1);
        assertThat(sum(after, "turnout_client_refusals_total", "code=\"400\"")).isEqualTo(1);
        assertThat(sum(after, "turnout_request_duration_seconds_count", "pool=\"blue\"")).isEqualTo(32);
        assertThat(sum(after, "turnout_upstream_first_byte_seconds_count", "pool=\"blue\"")).isEqualTo(31);
        assertThat(after).contains("turnout_request_duration_seconds_bucket{pool=\"blue\"");
        assertThat(sum(after, "turnout_upstream_connects_total", "pool=\"blue\"", "result=\"ok\"")).isGreaterThanOrEqualTo(1);
        assertThat(sum(after, "turnout_backend_up", "pool=\"blue\"")).isEqualTo(1);
        assertThat(sum(after, "turnout_inflight_requests", "pool=\"blue\"")).isZero();
        assertThat(sum(after, "turnout_generation")).isEqualTo(1);
        // Micrometer's JVM binders and Netty's allocator are there too.
        assertThat(after).contains("jvm_memory_used_bytes").contains("netty_allocator_memory_used");

        assertThat(proxy.admin("POST", "/admin/switch").status()).isEqualTo(200);
        String flipped = scrape().text();
        assertThat(sum(flipped, "turnout_active_pool", "pool=\"green\"")).isEqualTo(1);
        assertThat(sum(flipped, "turnout_active_pool", "pool=\"blue\"")).isZero();
        assertThat(sum(flipped, "turnout_generation")).isEqualTo(2);
        assertThat(sum(flipped, "turnout_flips_total", "reason=\"manual\"")).isEqualTo(1);
        assertThat(sum(flipped, "turnout_drain_duration_seconds_count")).isEqualTo(1);
    }

    @Test
    void retriesAndGateRefusalsAreCounted() throws Exception {
        proxy = ProxyHarness.start(dir, "pools:\n  blue: { backends: [\"" + blue.address() + "\", \"127.0.0.1:1\"] }\n"
                + "  green: { backends: [\"127.0.0.1:1\"] }\n"
                + "health: { interval: 1h }\n");
        try (RawHttp client = proxy.client()) {
            for (int i = 0; i < 4; i++) {
                assertThat(client.get("/r").status()).isEqualTo(200);
            }
        }
        // The gate probes green's only backend at switch time, and it refuses connections.
        assertThat(proxy.admin("POST", "/admin/switch").status()).isEqualTo(409);
        String text = scrape().text();
        // Round-robin sends about half to the dead backend first; each of those is retried once.
        assertThat(sum(text, "turnout_retries_total", "pool=\"blue\"")).isGreaterThanOrEqualTo(1);
        assertThat(sum(text, "turnout_upstream_connects_total", "backend=\"127.0.0.1:1\"", "result=\"refused\"")).isGreaterThanOrEqualTo(1);
        assertThat(sum(text, "turnout_requests_total", "pool=\"blue\"")).isEqualTo(4);
        assertThat(sum(text, "turnout_switch_refusals_total", "reason=\"probe\"")).isEqualTo(1);
        assertThat(sum(text, "turnout_flips_total")).isZero();
    }

    @Test
    void openMetricsWhenAskedAndTheTokenWhenSet() throws Exception {
        proxy = startProxy("admin: { listen: 127.0.0.1:0, token: s3cret-token-for-tests }\n");
        assertThat(scrape().status()).isEqualTo(401);
        RawHttp.Response plain = scrape("Authorization: Bearer s3cret-token-for-tests");
        assertThat(plain.status()).isEqualTo(200);
        assertThat(plain.header("content-type").orElseThrow()).startsWith("text/plain; version=0.0.4");
        RawHttp.Response open = scrape("Authorization: Bearer s3cret-token-for-tests",
                "Accept: application/openmetrics-text; version=1.0.0");
        assertThat(open.header("content-type").orElseThrow()).startsWith("application/openmetrics-text");
        assertThat(open.text().trim()).endsWith("# EOF");
    }
}
