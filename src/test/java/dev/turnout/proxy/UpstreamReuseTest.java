package dev.turnout.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.turnout.routing.Backend;
import dev.turnout.testing.BlueGreenTest;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Upstream keep-alive under bursts, over real sockets. Each burst is {@value #BURST} requests held
 * open at the backend at the same moment (gated streams), sent over the same client connections
 * every time, so every event loop of Turnout sees the same concurrency in each burst however the
 * clients were spread over the loops.
 */
class UpstreamReuseTest extends BlueGreenTest {

    private static final int BURST = 100;

    private ProxyHarness proxy;
    private final List<RawHttp> clients = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (RawHttp client : clients) {
            client.close();
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    @Test
    void byDefaultASecondBurstFindsEveryConnectionTheFirstOneOpened() throws Exception {
        proxy = startProxy("");
        burst();
        int afterFirst = blue.connections();
        assertThat(afterFirst).isEqualTo(BURST);
        burst();
        assertThat(blue.connections()).as("connections opened by the second burst").isEqualTo(afterFirst);
        assertThat(blue.openConnections()).isEqualTo(BURST);
    }

    @Test
    void anExplicitCapStillClosesWhatIsAboveIt() throws Exception {
        proxy = startProxy("upstream: { keepalive: { maxIdlePerBackend: 4 } }\n");
        burst();
        // At most 4 per event loop stayed, so the second burst must open most of its connections anew.
        assertThat(backend().idle().count()).isLessThan(BURST);
        int afterFirst = blue.connections();
        burst();
        assertThat(blue.connections()).isGreaterThan(afterFirst);
    }

    @Test
    void theConnectionsABurstNeededStayIdleUntilIdleTimeoutThenClose() throws Exception {
        proxy = startProxy("upstream: { keepalive: { idleTimeout: 2s } }\n");
        burst();
        // Every connection went back to the idle pool rather than being closed on return.
        assertThat(backend().idle().count()).isEqualTo(BURST);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(blue.openConnections()).isZero();
            assertThat(backend().idle().count()).isZero();
            assertThat(backend().idle().open()).isZero();
        });
    }

    @Test
    void aRefusedConnectLeavesNoSocketOpen() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort();
        }
        proxy = ProxyHarness.start(dir, ProxyHarness.twoPools(blue, green).replace(blue.address(), "127.0.0.1:" + dead));
        try (RawHttp client = proxy.client()) {
            assertThat(client.get("/warm").status()).isIn(502, 503);
            long before = openFiles();
            for (int i = 0; i < 200; i++) {
                assertThat(client.get("/refused").status()).isIn(502, 503);
            }
            // 200 leaked sockets would show; a few descriptors come and go elsewhere in the JVM.
            await().untilAsserted(() -> assertThat(openFiles()).isLessThan(before + 50));
        }
    }

    private static long openFiles() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    private Backend backend() {
        return proxy.server().traffic().current().active().backends().get(0);
    }

    /** {@value #BURST} requests busy at the backend at once, then all answered; returns when every exchange has ended. */
    private void burst() throws Exception {
        while (clients.size() < BURST) {
            clients.add(proxy.client());
        }
        for (RawHttp client : clients) {
            client.send("GET /stream?chunks=1&gated=true HTTP/1.1\r\nHost: t\r\n\r\n");
        }
        for (RawHttp client : clients) {
            assertThat(client.readHead().status()).isEqualTo(200);
            // The first event: the backend is answering this request, so its connection is busy.
            assertThat(new String(client.readChunk(), StandardCharsets.UTF_8)).startsWith("data: blue 1");
        }
        blue.allowChunks(BURST);
        for (RawHttp client : clients) {
            assertThat(client.readChunk()).isNull();
        }
        await().untilAsserted(() -> assertThat(proxy.server().traffic().current().active().inFlight()).isZero());
    }
}
