package dev.turnout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.turnout.testing.BlueGreenTest;
import dev.turnout.testing.LogCapture;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code startup.warmup}: a loopback rehearsal before the traffic listeners accept, over real sockets. */
class WarmupTest extends BlueGreenTest {

    @Test
    void aClientThatConnectsDuringTheWarmupWaitsAndIsServedAndTheRehearsalLeavesNoTrace() throws Exception {
        LogCapture.clear();
        int listen = freePort();
        int admin = freePort();
        Path accessLog = dir.resolve("access.log");
        CompletableFuture<ProxyHarness> starting = CompletableFuture.supplyAsync(() -> {
            try {
                return ProxyHarness.start(dir, ProxyHarness.twoPools(blue, green)
                        + "listen: 127.0.0.1:" + listen + "\n"
                        + "admin: { listen: 127.0.0.1:" + admin + " }\n"
                        + "accessLog: { path: " + accessLog + " }\n"
                        + "startup: { warmup: 5s }\n");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        ProxyHarness proxy = null;
        try {
            await().until(() -> LogCapture.lines().stream().anyMatch(l -> l.startsWith("INFO Warmup: warming up for 5s")));
            // The admin listener serves while the traffic listeners wait.
            try (RawHttp status = RawHttp.connect(new InetSocketAddress("127.0.0.1", admin))) {
                assertThat(status.get("/admin/status", "Host: localhost").status()).isEqualTo(200);
            }
            try (RawHttp client = RawHttp.connect(new InetSocketAddress("127.0.0.1", listen))) {
                // Connected while the start has not returned: the kernel queued it, nothing refused it.
                assertThat(starting).isNotDone();
                RawHttp.Response answer = client.get("/during-warmup");
                assertThat(answer.status()).isEqualTo(200);
                assertThat(answer.header("X-Origin")).contains("blue");
                // Accepted only once warm: by the time the answer came, the warm-up had ended.
                assertThat(LogCapture.lines()).anyMatch(l -> l.startsWith("INFO Warmup: warmed up in "));
            }
            proxy = starting.get(60, TimeUnit.SECONDS);

            assertThat(LogCapture.lines()).anySatisfy(l -> assertThat(l).matches(
                    "INFO Warmup: warmed up in \\d+ ms: [1-9]\\d* requests through a loopback Turnout"));
            // The rehearsal's requests went to its own stub: the pools' backends saw none, the access log only ours.
            assertThat(blue.requests()).isEqualTo(1);
            assertThat(green.requests()).isZero();
            await().until(() -> Files.exists(accessLog) && !Files.readAllLines(accessLog).isEmpty());
            List<String> lines = Files.readAllLines(accessLog, StandardCharsets.UTF_8);
            assertThat(lines).hasSize(1);
            assertThat(lines.get(0)).contains("\"target\":\"/during-warmup\"");
        } finally {
            if (proxy != null) {
                proxy.close();
            } else {
                starting.thenAccept(ProxyHarness::close);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
