package dev.turnout.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.turnout.testing.BlueGreenTest;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import dev.turnout.testing.TurnoutProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ShutdownTest extends BlueGreenTest {


    @Test
    void aGracefulStopFinishesStreamsClosesIdleConnectionsAndTurnsHealthTo503() throws Exception {
        ProxyHarness proxy = startProxy("");
        try (RawHttp idle = proxy.client(); RawHttp stream = proxy.client()) {
            assertThat(idle.get("/").status()).isEqualTo(200);
            stream.send("GET /stream?chunks=3&intervalMs=1&gated=true HTTP/1.1\r\nHost: t\r\n\r\n");
            stream.readHead();
            assertThat(new String(stream.readChunk(), StandardCharsets.UTF_8)).isEqualTo("data: blue 1\n\n");

            CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> proxy.server().stopGracefully());
            await().untilAsserted(() -> assertThat(proxy.admin("GET", "/health").status()).isEqualTo(503));
            assertThat(idle.closedByPeer()).isTrue();
            assertThatThrownBy(() -> proxy.client().get("/")).isInstanceOf(IOException.class);
            assertThat(stopping).isNotDone();

            blue.allowChunks(5);
            assertThat(new String(stream.readChunk(), StandardCharsets.UTF_8)).isEqualTo("data: blue 2\n\n");
            assertThat(new String(stream.readChunk(), StandardCharsets.UTF_8)).isEqualTo("data: blue 3\n\n");
            assertThat(stream.readChunk()).isNull();
            assertThat(stream.closedByPeer()).isTrue();
            stopping.get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void duringShutdownDelayTheEdgeHealthAnswers503WhileNewConnectionsAreStillServedThenTheListenerCloses() throws Exception {
        ProxyHarness proxy = startProxy("shutdown: { delay: 10m }\n");
        // stopGracefully closes everything itself; the harness is closed here only when the test fails before that.
        Thread stopper = new Thread(proxy.server()::stopGracefully, "test-stop");
        stopper.setDaemon(true);
        try (RawHttp kept = proxy.client()) {
            assertThat(kept.get("/").status()).isEqualTo(200);
            assertThat(edgeHealth(proxy)).isEqualTo(200);
            stopper.start();

            await().untilAsserted(() -> assertThat(edgeHealth(proxy)).isEqualTo(503));
            assertThat(proxy.admin("GET", "/health").status()).isEqualTo(503);
            int before = blue.requests();
            try (RawHttp fresh = proxy.client()) {
                // A new connection is accepted and proxied, and kept alive between its requests.
                RawHttp.Response first = fresh.get("/");
                assertThat(first.status()).isEqualTo(200);
                assertThat(first.header("connection")).isEmpty();
                assertThat(fresh.get("/").status()).isEqualTo(200);
            }
            assertThat(kept.get("/").status()).isEqualTo(200);
            assertThat(blue.requests()).isEqualTo(before + 3);
            assertThat(stopper.isAlive()).isTrue();

            // The end of the delay (an interrupt ends it early): the listener closes, idle connections too.
            stopper.interrupt();
            await().untilAsserted(() -> assertThatThrownBy(() -> proxy.client().get("/")).isInstanceOf(IOException.class));
            assertThat(kept.closedByPeer()).isTrue();
            stopper.join(30_000);
            assertThat(stopper.isAlive()).isFalse();
        } finally {
            if (stopper.getState() == Thread.State.NEW) {
                proxy.close();
            } else {
                stopper.interrupt();
            }
        }
    }

    @Test
    void aShortShutdownDelayEndsByItselfAndTheStopCompletes() throws Exception {
        ProxyHarness proxy = startProxy("shutdown: { delay: 1s }\n");
        CompletableFuture.runAsync(() -> proxy.server().stopGracefully()).get(60, TimeUnit.SECONDS);
        assertThatThrownBy(() -> proxy.client().get("/")).isInstanceOf(IOException.class);
    }

    /** The status of edgeHealth.path on a new connection. */
    private static int edgeHealth(ProxyHarness proxy) throws IOException {
        try (RawHttp client = proxy.client()) {
            return client.get("/turnout/health").status();
        }
    }

    @Test
    void aSigtermWithShutdownDelayKeepsServingWithTheEdgeHealthAt503AndASecondSigtermExitsAtOnce() throws Exception {
        try (TurnoutProcess turnout = TurnoutProcess.start(dir, ProxyHarness.twoPools(blue, green) + "shutdown: { delay: 10m }\n")) {
            turnout.signal("TERM");
            await().untilAsserted(() -> assertThat(turnout.output()).contains("shutdown.delay: answering /turnout/health with 503"));
            try (RawHttp client = RawHttp.connect(turnout.proxy())) {
                RawHttp.Response health = client.get("/turnout/health");
                assertThat(health.status()).isEqualTo(503);
                assertThat(health.text()).isEqualTo("{\"status\":\"stopping\"}\n");
            }
            try (RawHttp client = RawHttp.connect(turnout.proxy())) {
                assertThat(client.get("/").status()).isEqualTo(200);
            }
            assertThat(turnout.isAlive()).isTrue();
            turnout.signal("TERM");
            assertThat(turnout.waitForExit()).isZero();
        }
    }

    @Test
    void sigtermDrainsAndExits0AndASecondSigtermExitsAtOnce() throws Exception {
        try (TurnoutProcess turnout = TurnoutProcess.start(dir, ProxyHarness.twoPools(blue, green) + "drain: { timeout: 2m }\n");
             RawHttp stream = RawHttp.connect(turnout.proxy())) {
            stopWithAStreamOpen(turnout, stream);
            blue.allowChunks(5);
            assertThat(new String(stream.readChunk(), StandardCharsets.UTF_8)).isEqualTo("data: blue 2\n\n");
            assertThat(stream.readChunk()).isNull();
            assertThat(turnout.waitForExit()).isZero();
        }
        try (TurnoutProcess turnout = TurnoutProcess.start(dir, ProxyHarness.twoPools(blue, green) + "drain: { timeout: 2m }\n");
             RawHttp stream = RawHttp.connect(turnout.proxy())) {
            stopWithAStreamOpen(turnout, stream);
            turnout.signal("TERM");
            // The stream is still held open by the backend: only the second signal can have ended the process.
            assertThat(turnout.waitForExit()).isZero();
        }
    }

    /** Opens a stream the backend holds after its first event, then sends SIGTERM and waits until Turnout says it is stopping. */
    private static void stopWithAStreamOpen(TurnoutProcess turnout, RawHttp stream) throws Exception {
        stream.send("GET /stream?chunks=2&intervalMs=1&gated=true HTTP/1.1\r\nHost: t\r\n\r\n");
        stream.readHead();
        stream.readChunk();
        turnout.signal("TERM");
        await().untilAsserted(() -> assertThat(turnout.output()).contains("stopping gracefully"));
    }

    @Test
    void sighupReloadsTheFileAndABadFileKeepsTheRunningConfig() throws Exception {
        try (TurnoutProcess turnout = TurnoutProcess.start(dir, ProxyHarness.twoPools(blue, green))) {
            java.nio.file.Files.writeString(dir.resolve("proxy.yaml"), ProxyHarness.fullYaml(dir,
                    ProxyHarness.twoPools(blue, green) + "upstream: { readTimeout: 45s }\n"));
            turnout.signal("HUP");
            await().untilAsserted(() -> assertThat(turnout.output()).contains("upstream.readTimeout: 30s -> 45s"));

            java.nio.file.Files.writeString(dir.resolve("proxy.yaml"), ProxyHarness.fullYaml(dir,
                    ProxyHarness.twoPools(blue, green) + "upstream: { readTimeout: soon }\n"));
            turnout.signal("HUP");
            await().untilAsserted(() -> assertThat(turnout.output())
                    .contains("refused, the running config stays: upstream.readTimeout: \"soon\" is not a duration"));
            try (RawHttp client = RawHttp.connect(turnout.proxy())) {
                assertThat(client.get("/").status()).isEqualTo(200);
            }
            assertThat(turnout.isAlive()).isTrue();
        }
    }
}
