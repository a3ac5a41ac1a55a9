package dev.turnout.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import dev.turnout.testing.TestOrigin;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs Turnout in its own JVM with a 64 MB heap and 64 MB of direct memory, and streams 300 MB to a
 * slow client and 100 MB up to a backend through it: only backpressure on both legs lets that pass.
 */
class BoundedMemoryTest {

    private static final long DOWNLOAD = 300L * 1024 * 1024;
    private static final long UPLOAD = 100L * 1024 * 1024;
    private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");

    @TempDir
    Path dir;

    @Test
    void largeBodiesStreamBothWaysThroughA64MegabyteHeap() throws Exception {
        try (TestOrigin blue = TestOrigin.start("blue"); TestOrigin green = TestOrigin.start("green")) {
            Path config = dir.resolve("proxy.yaml");
            Files.writeString(config, "listen: 127.0.0.1:0\nadmin: { listen: 127.0.0.1:0 }\n"
                    + "state: { file: " + dir.resolve("state.json") + " }\n" + ProxyHarness.twoPools(blue, green));
            Process turnout = new ProcessBuilder(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx64m", "-XX:MaxDirectMemorySize=64m", "-XX:+ExitOnOutOfMemoryError",
                    "-cp", System.getProperty("java.class.path"),
                    "dev.turnout.Turnout", "--config", config.toString())
                    .redirectErrorStream(true)
                    .start();
            try {
                InetSocketAddress proxy = new InetSocketAddress("127.0.0.1", awaitPort(turnout));

                try (RawHttp client = RawHttp.connect(proxy)) {
                    client.send("GET /bytes?n=" + DOWNLOAD + " HTTP/1.1\r\nHost: t\r\n\r\n");
                    RawHttp.Head head = client.readHead();
                    assertThat(head.status()).isEqualTo(200);
                    long received = 0;
                    byte[] chunk;
                    int reads = 0;
                    while ((chunk = client.readChunk()) != null) {
                        received += chunk.length;
                        if (++reads % 4 == 0) {
                            Thread.sleep(1); // a client slower than the backend
                        }
                    }
                    assertThat(received).isEqualTo(DOWNLOAD);

                    client.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: " + UPLOAD + "\r\n\r\n");
                    OutputStream out = client.output();
                    byte[] block = new byte[64 * 1024];
                    for (long sent = 0; sent < UPLOAD; sent += block.length) {
                        out.write(block);
                    }
                    out.flush();
                    RawHttp.Response r = client.read(false);
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(ProxyHarness.json(r).get("bodyBytes").asLong()).isEqualTo(UPLOAD);
                }
                assertThat(turnout.isAlive()).isTrue();
            } finally {
                turnout.destroy();
                turnout.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** Reads the child's log until its start line names the port; everything it prints goes to this test's output. */
    private static int awaitPort(Process process) throws Exception {
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    System.out.println("[turnout] " + line);
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        port.complete(Integer.parseInt(m.group(1)));
                    }
                }
                port.completeExceptionally(new IllegalStateException("turnout exited with " + process.waitFor()));
            } catch (Exception e) {
                port.completeExceptionally(e);
            }
        }, "turnout-log");
        reader.setDaemon(true);
        reader.start();
        return port.get(60, TimeUnit.SECONDS);
    }
}
