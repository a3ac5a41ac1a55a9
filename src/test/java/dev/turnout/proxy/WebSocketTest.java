package dev.turnout.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import dev.turnout.testing.RawHttp2;
import dev.turnout.testing.RawWebSocket;
import dev.turnout.testing.TestCertificates;
import dev.turnout.testing.TestOrigin;
import dev.turnout.testing.WebSocketOrigin;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WebSockets through Turnout, from the JDK's client to a WebSocket backend per pool that answers
 * with its colour: the upgrade, the tunnel pinned to its pool across a flip and counted in its
 * drain, drain.closeTunnels and limits.tunnelIdleTimeout, failed handshakes, a half-close.
 */
class WebSocketTest {

    private static final int SOCKETS = 50;

    @TempDir
    Path dir;

    private WebSocketOrigin blue;
    private WebSocketOrigin green;
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<Client> clients = new ArrayList<>();

    @BeforeEach
    void startOrigins() throws Exception {
        blue = WebSocketOrigin.start("blue");
        green = WebSocketOrigin.start("green");
    }

    @AfterEach
    void stopAll() {
        clients.forEach(Client::abort);
        blue.close();
        green.close();
    }

    private ProxyHarness startProxy(String moreYaml) throws Exception {
        return ProxyHarness.start(dir, "pools:\n"
                + "  blue: { backends: [\"" + blue.address() + "\"] }\n"
                + "  green: { backends: [\"" + green.address() + "\"] }\n"
                + moreYaml);
    }

    @Test
    void socketsOpenedOnBlueKeepEchoingFromBlueAfterTheFlipAndTheWaitingSwitchEndsWithTheLastOfThem() throws Exception {
        try (ProxyHarness proxy = startProxy("")) {
            List<Client> onBlue = openOnBlue(proxy);
            JsonNode before = pool(proxy, "blue");
            assertThat(before.get("tunnels").asInt()).isEqualTo(SOCKETS);
            assertThat(before.get("inFlight").asInt()).isEqualTo(SOCKETS);
            assertThat(before.get("backends").get(0).get("tunnels").asInt()).isEqualTo(SOCKETS);

            CompletableFuture<ProxyHarness.Admin> flip = CompletableFuture.supplyAsync(() -> call(proxy, "/admin/switch"));
            await().untilAsserted(() -> assertThat(proxy.server().traffic().current().active().name()).isEqualTo("green"));

            for (int i = 0; i < SOCKETS; i++) {
                assertThat(onBlue.get(i).ask("again " + i)).isEqualTo("blue: again " + i);
            }
            Client fresh = connect(proxy);
            assertThat(fresh.ask("new")).isEqualTo("green: new");
            JsonNode pools = proxy.admin("GET", "/admin/status").json().get("pools");
            assertThat(pools.get("blue").get("tunnels").asInt()).isEqualTo(SOCKETS);
            assertThat(pools.get("blue").get("draining").asBoolean()).isTrue();
            assertThat(pools.get("green").get("tunnels").asInt()).isEqualTo(1);

            for (int i = 0; i < SOCKETS - 1; i++) {
                onBlue.get(i).close();
            }
            await().untilAsserted(() -> assertThat(pool(proxy, "blue").get("tunnels").asInt()).isEqualTo(1));
            assertThat(flip).isNotDone();
            assertThat(onBlue.get(SOCKETS - 1).ask("last")).isEqualTo("blue: last");
            onBlue.get(SOCKETS - 1).close();

            JsonNode answer = flip.get(60, TimeUnit.SECONDS).json();
            assertThat(answer.get("from").asText()).isEqualTo("blue");
            assertThat(answer.get("tunnelsAtSwitch").asInt()).isEqualTo(SOCKETS);
            assertThat(answer.get("inFlightAtSwitch").asInt()).isEqualTo(SOCKETS);
            assertThat(answer.get("drained").asBoolean()).isTrue();
            await().untilAsserted(() -> assertThat(blue.openSockets()).isZero());
            assertThat(fresh.ask("still")).isEqualTo("green: still");
        }
    }

    @Test
    void drainCloseTunnelsClosesTheRetiredPoolsSocketsAndTheirClientsReconnectToGreen() throws Exception {
        try (ProxyHarness proxy = startProxy("drain: { closeTunnels: 2s }\n")) {
            List<Client> onBlue = openOnBlue(proxy);
            JsonNode answer = proxy.admin("POST", "/admin/switch?wait=false").json();
            assertThat(answer.get("tunnelsAtSwitch").asInt()).isEqualTo(SOCKETS);

            for (Client c : onBlue) {
                c.closed.get(60, TimeUnit.SECONDS);
            }
            await().untilAsserted(() -> assertThat(blue.openSockets()).isZero());
            JsonNode pools = proxy.admin("GET", "/admin/status").json().get("pools");
            assertThat(pools.get("blue").get("tunnels").asInt()).isZero();
            assertThat(pools.get("blue").get("inFlight").asInt()).isZero();
            for (int i = 0; i < SOCKETS; i++) {
                assertThat(connect(proxy).ask("back " + i)).isEqualTo("green: back " + i);
            }
        }
    }

    @Test
    void aPoolActiveAgainBeforeCloseTunnelsPassesKeepsItsSockets() throws Exception {
        try (ProxyHarness proxy = startProxy("drain: { closeTunnels: 3s }\n")) {
            Client onBlue = connect(proxy);
            assertThat(onBlue.ask("hello")).isEqualTo("blue: hello");
            proxy.admin("POST", "/admin/switch?wait=false");
            Client onGreen = connect(proxy);
            assertThat(onGreen.ask("hello")).isEqualTo("green: hello");
            proxy.admin("POST", "/admin/switch?wait=false");
            // Green's socket, retired after blue's, closes 3 s after the flip back; blue's would have closed before it.
            onGreen.closed.get(60, TimeUnit.SECONDS);
            assertThat(onBlue.ask("still")).isEqualTo("blue: still");
            assertThat(onBlue.closed).isNotDone();
        }
    }

    @Test
    void aTunnelSilentForTunnelIdleTimeoutIsClosedAndLoggedOnceWithItsBytesAndWhy() throws Exception {
        Path log = dir.resolve("access.log");
        try (ProxyHarness proxy = startProxy("limits: { tunnelIdleTimeout: 2s }\naccessLog: { path: " + log + " }\n")) {
            Client c = connect(proxy);
            assertThat(c.ask("hello")).isEqualTo("blue: hello");
            c.closed.get(60, TimeUnit.SECONDS);
            await().untilAsserted(() -> assertThat(blue.openSockets()).isZero());
            assertThat(pool(proxy, "blue").get("tunnels").asInt()).isZero();

            await().untilAsserted(() -> assertThat(Files.exists(log) ? Files.readAllLines(log) : List.of()).hasSize(1));
            JsonNode line = new ObjectMapper().readTree(Files.readAllLines(log).get(0));
            assertThat(line.get("status").asInt()).isEqualTo(101);
            assertThat(line.get("error").asText()).isEqualTo("tunnel_idle");
            assertThat(line.get("pool").asText()).isEqualTo("blue");
            // A masked client frame of "hello" (2 + 4 + 5 bytes), and the answer "blue: hello" (2 + 11).
            assertThat(line.get("bytesIn").asLong()).isEqualTo(11);
            assertThat(line.get("bytesOut").asLong()).isEqualTo(13);
        }
    }

    @Test
    void anUpgradeAnswered400IsRelayedAndTheConnectionStaysHttp() throws Exception {
        blue.answerUpgrades(400);
        try (ProxyHarness proxy = startProxy("");
             RawHttp raw = proxy.client()) {
            WebSocketHandshakeException refused = catchThrowableOfType(() -> connect(proxy), WebSocketHandshakeException.class);
            assertThat(refused.getResponse().statusCode()).isEqualTo(400);

            RawHttp.Head head = RawWebSocket.handshake(raw, "/ws");
            assertThat(head.status()).isEqualTo(400);
            assertThat(new String(raw.readBody(head, false))).isEqualTo("blue refuses the upgrade");
            RawHttp.Response next = raw.get("/plain");
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.text()).isEqualTo("blue");
            assertThat(pool(proxy, "blue").get("inFlight").asInt()).isZero();
        }
    }

    @Test
    void aBackendThatClosesMidHandshakeGetsTheClientA502() throws Exception {
        blue.closeOnUpgrade(true);
        try (ProxyHarness proxy = startProxy("");
             RawHttp raw = proxy.client()) {
            RawHttp.Head head = RawWebSocket.handshake(raw, "/ws");
            assertThat(head.status()).isEqualTo(502);
            assertThat(ProxyHarness.json(new RawHttp.Response(head, raw.readBody(head, false))).get("error").asText())
                    .isEqualTo("bad_gateway");
            assertThat(pool(proxy, "blue").get("tunnels").asInt()).isZero();
        }
    }

    @Test
    void aClientsHalfCloseReachesTheBackendWhichStillAnswers() throws Exception {
        try (ProxyHarness proxy = startProxy("");
             RawHttp raw = proxy.client()) {
            RawWebSocket socket = RawWebSocket.open(raw, "/ws");
            socket.sendText("hi");
            assertThat(socket.next().text()).isEqualTo("blue: hi");
            raw.shutdownOutput();
            RawWebSocket.Frame last = socket.next();
            assertThat(last.opcode()).isEqualTo(RawWebSocket.TEXT);
            assertThat(last.text()).isEqualTo("blue saw FIN");
            // Netty's server codec closes a socket with a close frame of its own.
            assertThat(socket.next().opcode()).isEqualTo(RawWebSocket.CLOSE);
            assertThat(socket.read()).isNull();
            await().untilAsserted(() -> assertThat(pool(proxy, "blue").get("inFlight").asInt()).isZero());
        }
    }

    @Test
    void aBackendsHalfCloseReachesTheClientWhichStillSends() throws Exception {
        try (ProxyHarness proxy = startProxy("");
             RawHttp raw = proxy.client()) {
            RawWebSocket socket = RawWebSocket.open(raw, "/ws");
            socket.sendText("half-close");
            assertThat(socket.next().text()).isEqualTo("blue half-closes");
            assertThat(socket.read()).isNull();
            socket.sendText("still here");
            assertThat(blue.heardAfterHalfClose().poll(60, TimeUnit.SECONDS)).isEqualTo("still here");
            assertThat(pool(proxy, "blue").get("tunnels").asInt()).isEqualTo(1);
            raw.close();
            await().untilAsserted(() -> assertThat(pool(proxy, "blue").get("inFlight").asInt()).isZero());
        }
    }

    @Test
    void aGracefulStopClosesTheTunnelsLeftAtDrainTimeout() throws Exception {
        ProxyHarness proxy = startProxy("drain: { timeout: 1s }\n");
        Client c;
        try {
            c = connect(proxy);
            assertThat(c.ask("hello")).isEqualTo("blue: hello");
        } catch (Exception | AssertionError e) {
            // stopGracefully closes everything itself; the harness is closed here only when the test fails before it.
            proxy.close();
            throw e;
        }
        CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> proxy.server().stopGracefully());
        c.closed.get(60, TimeUnit.SECONDS);
        stopping.get(60, TimeUnit.SECONDS);
        await().untilAsserted(() -> assertThat(blue.openSockets()).isZero());
    }

    @Test
    void overTheTlsListenerSocketsOpenOverHttp11AndHttp2OffersNoExtendedConnect() throws Exception {
        TestCertificates.Issued ca = TestCertificates.writeLocalhost(dir, "ws");
        try (ProxyHarness proxy = startProxy("tls:\n  listen: 127.0.0.1:0\n  certificates:\n"
                + "    - { cert: " + dir.resolve("ws.crt") + ", key: " + dir.resolve("ws.key") + " }\n")) {
            InetSocketAddress https = proxy.server().tlsAddress().orElseThrow();
            HttpClient overTls = HttpClient.newBuilder().sslContext(TestCertificates.trusting(ca)).build();
            Client c = connect(overTls, URI.create("wss://127.0.0.1:" + https.getPort() + "/ws"));
            assertThat(c.ask("hello")).isEqualTo("blue: hello");
            assertThat(pool(proxy, "blue").get("tunnels").asInt()).isEqualTo(1);
            // A TLS connection cannot half-close: the backend's FIN ends the tunnel.
            assertThat(c.ask("half-close")).isEqualTo("blue half-closes");
            c.closed.get(60, TimeUnit.SECONDS);
            await().untilAsserted(() -> assertThat(pool(proxy, "blue").get("inFlight").asInt()).isZero());

            try (RawHttp2 h2 = RawHttp2.tls(https)) {
                byte[] settings = h2.readUntil(RawHttp2.SETTINGS, 0).payload();
                List<Integer> ids = new ArrayList<>();
                for (int i = 0; i + 6 <= settings.length; i += 6) {
                    ids.add(((settings[i] & 0xff) << 8) | (settings[i + 1] & 0xff));
                }
                // SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441) is 0x8.
                assertThat(ids).isNotEmpty().doesNotContain(0x8);
            }
        }
    }

    @Test
    void otherUpgradesLoseTheirHeadersAndGoOnAsPlainRequests() throws Exception {
        try (TestOrigin echoBlue = TestOrigin.start("blue"); TestOrigin echoGreen = TestOrigin.start("green");
             ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.twoPools(echoBlue, echoGreen));
             RawHttp raw = proxy.client()) {
            for (String upgrade : List.of("h2c", "foo/1", "websocket")) {
                // A WebSocket upgrade on a POST with a body is no WebSocket handshake: it too goes on as plain HTTP.
                String method = upgrade.equals("websocket") ? "POST" : "GET";
                RawHttp.Response r = raw.send(method + " / HTTP/1.1\r\nHost: t\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                        + "Upgrade: " + upgrade + "\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\nContent-Length: 2\r\n\r\n{}").read(false);
                assertThat(r.status()).as(upgrade).isEqualTo(200);
                JsonNode headers = ProxyHarness.json(r).get("headers");
                assertThat(headers.has("upgrade")).as(upgrade).isFalse();
                assertThat(headers.has("connection")).as(upgrade).isFalse();
                assertThat(headers.has("http2-settings")).as(upgrade).isFalse();
            }
        }
    }

    @Test
    void theRollbackWatchCountsAFailedUpgradeAsAnErrorAndAClosedTunnelAsASuccess() throws Exception {
        try (ProxyHarness proxy = startProxy("")) {
            proxy.admin("POST", "/admin/switch?wait=false");
            Client c = connect(proxy);
            assertThat(c.ask("hello")).isEqualTo("green: hello");
            c.close();
            await().untilAsserted(() -> assertThat(watch(proxy).get("requests").asInt()).isEqualTo(1));
            assertThat(watch(proxy).get("errors").asInt()).isZero();

            green.answerUpgrades(503);
            assertThat(catchThrowableOfType(() -> connect(proxy), WebSocketHandshakeException.class).getResponse().statusCode())
                    .isEqualTo(503);
            await().untilAsserted(() -> assertThat(watch(proxy).get("requests").asInt()).isEqualTo(2));
            assertThat(watch(proxy).get("errors").asInt()).isEqualTo(1);
        }
    }

    /** {@link #SOCKETS} sockets, each answered by blue. */
    private List<Client> openOnBlue(ProxyHarness proxy) throws Exception {
        List<Client> onBlue = new ArrayList<>();
        for (int i = 0; i < SOCKETS; i++) {
            Client c = connect(proxy);
            assertThat(c.ask("hello " + i)).isEqualTo("blue: hello " + i);
            onBlue.add(c);
        }
        return onBlue;
    }

    /** The pool's part of GET /admin/status. */
    private static JsonNode pool(ProxyHarness proxy, String name) throws Exception {
        return proxy.admin("GET", "/admin/status").json().get("pools").get(name);
    }

    private static JsonNode watch(ProxyHarness proxy) throws Exception {
        return proxy.admin("GET", "/admin/status").json().get("rollbackWatch");
    }

    private Client connect(ProxyHarness proxy) throws Exception {
        return connect(http, URI.create("ws://127.0.0.1:" + proxy.proxy().getPort() + "/ws"));
    }

    private Client connect(HttpClient with, URI uri) throws Exception {
        Client client = new Client();
        try {
            client.socket = with.newWebSocketBuilder().buildAsync(uri, client).get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
        clients.add(client);
        return client;
    }

    private static ProxyHarness.Admin call(ProxyHarness proxy, String path) {
        try {
            return proxy.admin("POST", path);
        } catch (Exception e) {
            throw new CompletionException(e);
        }
    }

    /** A JDK WebSocket and the text messages it got; {@link #closed} completes when the socket ends, whichever way. */
    private static final class Client implements WebSocket.Listener {
        final BlockingQueue<String> texts = new LinkedBlockingQueue<>();
        final CompletableFuture<Void> closed = new CompletableFuture<>();
        private final StringBuilder partial = new StringBuilder();
        WebSocket socket;

        String ask(String message) throws Exception {
            socket.sendText(message, true).get(60, TimeUnit.SECONDS);
            String answer = texts.poll(60, TimeUnit.SECONDS);
            assertThat(answer).as("an answer to " + message).isNotNull();
            return answer;
        }

        /** Sends a close and waits for the socket to end. */
        void close() throws Exception {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(60, TimeUnit.SECONDS);
            closed.get(60, TimeUnit.SECONDS);
        }

        void abort() {
            if (socket != null) {
                socket.abort();
            }
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                texts.add(partial.toString());
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(null);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.complete(null);
        }
    }
}
