package dev.turnout.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.BlueGreenTest;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import dev.turnout.testing.RawHttp2;
import dev.turnout.testing.TestCertificates;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** edgeHealth.path: Turnout's own health on the traffic listeners, answered by Turnout and never by a backend. */
class EdgeHealthTest extends BlueGreenTest {

    private static final String OK = "{\"status\":\"ok\"}\n";

    private ProxyHarness proxy;

    @AfterEach
    void stopProxy() {
        if (proxy != null) {
            proxy.close();
        }
    }

    @Test
    void thePathIsAnsweredByTurnoutForEveryMethodWithAQueryAndOnlyOnAnExactMatch() throws Exception {
        proxy = startProxy("");
        try (RawHttp client = proxy.client()) {
            RawHttp.Response get = client.get("/turnout/health");
            assertThat(get.status()).isEqualTo(200);
            assertThat(get.text()).isEqualTo(OK);
            assertThat(get.header("content-type")).hasValue("application/json");
            assertThat(client.get("/turnout/health?from=lb").text()).isEqualTo(OK);

            // HEAD: the same head, no body; the connection stays usable, as for the POST after it.
            RawHttp.Response head = client.send("HEAD /turnout/health HTTP/1.1\r\nHost: t\r\n\r\n").read(true);
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("content-length")).hasValue(String.valueOf(OK.length()));
            assertThat(head.body()).isEmpty();
            RawHttp.Response post = client.send("POST /turnout/health HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n").read(false);
            assertThat(post.status()).isEqualTo(200);
            assertThat(post.text()).isEqualTo(OK);
            assertThat(blue.requests()).isZero();

            // A body is not read: the answer ends the connection rather than take the body for the next request.
            RawHttp.Response withBody = client.send("PUT /turnout/health HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello").read(false);
            assertThat(withBody.status()).isEqualTo(200);
            assertThat(withBody.header("connection")).hasValue("close");
            assertThat(client.closedByPeer()).isTrue();
        }
        try (RawHttp client = proxy.client()) {
            assertThat(blue.requests()).isZero();
            // Anything but the exact path is the app's.
            assertThat(client.get("/turnout/health/deep").status()).isEqualTo(200);
            assertThat(client.get("/turnout/healthz").status()).isEqualTo(200);
            assertThat(client.get("/health").status()).isEqualTo(200);
            assertThat(blue.requests()).isEqualTo(3);
        }
    }

    @Test
    void anotherPathCanBeChosenAndAnEmptyOneTurnsItOff() throws Exception {
        proxy = startProxy("edgeHealth: { path: /lb-check }\n");
        try (RawHttp client = proxy.client()) {
            assertThat(client.get("/lb-check").text()).isEqualTo(OK);
            client.get("/turnout/health");
            assertThat(blue.requests()).isEqualTo(1);
        }
        proxy.close();
        proxy = startProxy("edgeHealth: { path: \"\" }\n");
        try (RawHttp client = proxy.client()) {
            client.get("/turnout/health");
            assertThat(blue.requests()).isEqualTo(2);
        }
    }

    @Test
    void itIsAnsweredOverHttpsHttp2AndOnAPlainListenerThatRedirects() throws Exception {
        TestCertificates.Issued ca = TestCertificates.writeLocalhost(dir, "eh");
        proxy = startProxy("tls:\n"
                + "  listen: 127.0.0.1:0\n"
                + "  certificates:\n"
                + "    - { cert: " + dir.resolve("eh.crt") + ", key: " + dir.resolve("eh.key") + " }\n"
                + "  redirectHttp: true\n");
        try (RawHttp client = proxy.client()) {
            assertThat(client.get("/elsewhere").status()).isEqualTo(301);
            RawHttp.Response health = client.get("/turnout/health");
            assertThat(health.status()).isEqualTo(200);
            assertThat(health.text()).isEqualTo(OK);
        }
        InetSocketAddress https = proxy.server().tlsAddress().orElseThrow();
        try (RawHttp2 h2 = RawHttp2.tls(https)) {
            h2.headers(1, RawHttp2.request("GET", "/turnout/health?x=1"), true);
            assertThat(h2.fields(h2.readUntil(RawHttp2.HEADERS, 1)).status().toString()).isEqualTo("200");
            assertThat(new String(h2.readUntil(RawHttp2.DATA, 1).payload(), StandardCharsets.UTF_8)).isEqualTo(OK);
            h2.headers(3, RawHttp2.request("HEAD", "/turnout/health"), true);
            RawHttp2.Frame head = h2.readUntil(RawHttp2.HEADERS, 3);
            assertThat(h2.fields(head).status().toString()).isEqualTo("200");
            assertThat(head.endStream()).isTrue();
        }
        HttpClient http11 = HttpClient.newBuilder().sslContext(TestCertificates.trusting(ca)).version(HttpClient.Version.HTTP_1_1).build();
        HttpResponse<String> overTls = http11.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + https.getPort() + "/turnout/health"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(overTls.statusCode()).isEqualTo(200);
        assertThat(overTls.body()).isEqualTo(OK);
        assertThat(blue.requests()).isZero();
    }
}
