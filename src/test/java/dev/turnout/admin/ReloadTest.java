package dev.turnout.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import dev.turnout.testing.TestOrigin;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReloadTest {

    @TempDir
    Path dir;

    TestOrigin blue;
    TestOrigin blue2;
    TestOrigin green;

    @BeforeEach
    void start() throws Exception {
        blue = TestOrigin.start("blue");
        blue2 = TestOrigin.start("blue2");
        green = TestOrigin.start("green");
    }

    @AfterEach
    void stop() {
        blue.close();
        blue2.close();
        green.close();
    }

    private String pools(TestOrigin... blues) {
        StringBuilder b = new StringBuilder("pools:\n  blue: { backends: [");
        for (int i = 0; i < blues.length; i++) {
            b.append(i == 0 ? "" : ", ").append('"').append(blues[i].address()).append('"');
        }
        return b.append("] }\n  green: { backends: [\"").append(green.address()).append("\"] }\n").toString();
    }

    @Test
    void anAddedBackendJoinsItsPoolAndActivePoolAndGenerationAreKept() throws Exception {
        try (ProxyHarness proxy = ProxyHarness.start(dir, pools(blue))) {
            proxy.admin("POST", "/admin/switch?to=green");
            proxy.admin("POST", "/admin/switch?to=blue");
            proxy.rewriteConfig(dir, pools(blue, blue2) + "upstream: { readTimeout: 45s }\n");
            ProxyHarness.Admin r = proxy.admin("POST", "/admin/reload");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().get("reloaded").asBoolean()).isTrue();
            assertThat(r.json().get("active").asText()).isEqualTo("blue");
            assertThat(r.json().get("generation").asLong()).isEqualTo(3);
            assertThat(r.json().get("changes").toString())
                    .contains("upstream.readTimeout: 30s -> 45s", "pools.blue.backends: added " + blue2.address());
            assertThat(r.json().get("restartRequired")).isEmpty();
            Set<String> served = new HashSet<>();
            try (RawHttp client = proxy.client()) {
                for (int i = 0; i < 4; i++) {
                    served.add(client.get("/").header("X-Origin").orElseThrow());
                }
            }
            assertThat(served).containsExactlyInAnyOrder("blue", "blue2");
        }
    }

    @Test
    void aRemovedBackendDrainsItsStreamAndTakesNoNewRequests() throws Exception {
        try (ProxyHarness proxy = ProxyHarness.start(dir, pools(blue, blue2) + "health: { interval: 1h }\n");
             RawHttp stream = proxy.client()) {
            // Round robin: the first request goes to blue; that is the stream the reload must not cut.
            stream.send("GET /stream?chunks=3&intervalMs=1&gated=true HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(stream.readHead().header("X-Origin")).contains("blue");
            assertThat(new String(stream.readChunk(), StandardCharsets.UTF_8)).isEqualTo("data: blue 1\n\n");

            proxy.rewriteConfig(dir, pools(blue2) + "health: { interval: 1h }\n");
            JsonNode r = proxy.admin("POST", "/admin/reload").json();
            assertThat(r.get("changes").toString()).contains("pools.blue.backends: removed " + blue.address() + " (1 in flight, draining)");
            try (RawHttp client = proxy.client()) {
                for (int i = 0; i < 4; i++) {
                    assertThat(client.get("/").header("X-Origin")).contains("blue2");
                }
            }
            blue.allowChunks(5);
            assertThat(new String(stream.readChunk(), StandardCharsets.UTF_8)).isEqualTo("data: blue 2\n\n");
            assertThat(new String(stream.readChunk(), StandardCharsets.UTF_8)).isEqualTo("data: blue 3\n\n");
            assertThat(stream.readChunk()).isNull();
            await().untilAsserted(() -> assertThat(blue.openConnections()).isZero());
        }
    }

    @Test
    void aBadFileIsRefusedWithTheProblemsAndTheRunningConfigKeepsServing() throws Exception {
        try (ProxyHarness proxy = ProxyHarness.start(dir, pools(blue))) {
            proxy.rewriteConfig(dir, pools(blue) + "upstream: { connectTimeout: fast }\ncolour: red\n");
            ProxyHarness.Admin r = proxy.admin("POST", "/admin/reload");
            assertThat(r.status()).isEqualTo(422);
            assertThat(r.json().get("error").asText()).isEqualTo("invalid_config");
            assertThat(r.json().get("problems").toString()).contains(
                    "upstream.connectTimeout: \\\"fast\\\" is not a duration (expected: 500ms, 10s, 2m)", "colour: unknown key");
            try (RawHttp client = proxy.client()) {
                assertThat(client.get("/").status()).isEqualTo(200);
            }

            proxy.rewriteConfig(dir, "pools:\n  green: { backends: [\"" + green.address() + "\"] }\n"
                    + "  red: { backends: [\"" + blue2.address() + "\"] }\n");
            ProxyHarness.Admin noActive = proxy.admin("POST", "/admin/reload");
            assertThat(noActive.status()).isEqualTo(422);
            assertThat(noActive.json().get("problems").get(0).asText()).contains("the active pool cannot be removed");
            assertThat(proxy.server().traffic().current().config().pools()).hasSize(2);
        }
    }

    @Test
    void listenChangesAreReportedAsNeedingARestartAndTimeoutsApplyToNewRequests() throws Exception {
        try (ProxyHarness proxy = ProxyHarness.start(dir, pools(blue))) {
            try (RawHttp client = proxy.client()) {
                assertThat(client.get("/slow?ms=600").status()).isEqualTo(200);
            }
            proxy.rewriteConfig(dir, "listen: 127.0.0.1:1\n" + pools(blue) + "upstream: { firstByteTimeout: 200ms }\n");
            JsonNode r = proxy.admin("POST", "/admin/reload").json();
            assertThat(r.get("restartRequired").get(0).asText()).isEqualTo("listen: 127.0.0.1:0 -> 127.0.0.1:1");
            try (RawHttp client = proxy.client()) {
                assertThat(client.get("/slow?ms=600").status()).isEqualTo(504);
            }
        }
    }

    @Test
    void repeatedReloadsUnderLoadCostNoRequest() throws Exception {
        try (ProxyHarness proxy = ProxyHarness.start(dir, pools(blue))) {
            AtomicBoolean running = new AtomicBoolean(true);
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < 24; c++) {
                Thread t = new Thread(() -> {
                    try (RawHttp client = proxy.client()) {
                        while (running.get()) {
                            int status = client.get("/load").status();
                            if (status != 200) {
                                failures.add("status " + status);
                            }
                        }
                    } catch (Exception e) {
                        failures.add(e.toString());
                    }
                });
                clients.add(t);
                t.start();
            }
            for (int i = 0; i < 20; i++) {
                proxy.rewriteConfig(dir, i % 2 == 0 ? pools(blue, blue2) : pools(blue2, blue));
                assertThat(proxy.admin("POST", "/admin/reload").status()).isEqualTo(200);
                proxy.rewriteConfig(dir, pools(i % 2 == 0 ? blue2 : blue));
                assertThat(proxy.admin("POST", "/admin/reload").status()).isEqualTo(200);
            }
            running.set(false);
            for (Thread t : clients) {
                t.join();
            }
            assertThat(failures).isEmpty();
            assertThat(blue.requests() + blue2.requests()).isGreaterThan(100);
        }
    }
}
