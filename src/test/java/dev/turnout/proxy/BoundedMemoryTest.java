package dev.turnout.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import static org.awaitility.Awaitility.await;

import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import dev.turnout.testing.RawWebSocket;
import dev.turnout.testing.TestOrigin;
import dev.turnout.testing.TurnoutProcess;
import dev.turnout.testing.WebSocketOrigin;
import java.time.Duration;
import java.io.OutputStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs Turnout in its own JVM with a 64 MB heap and 64 MB of direct memory, and streams 300 MB to a
 * slow client and 100 MB up to a backend through it, and 200 MB down a WebSocket tunnel to a client
 * that stops reading: only backpressure on both legs lets that pass.
 */
class BoundedMemoryTest {

    private static final long DOWNLOAD = 300L * 1024 * 1024;
    private static final long UPLOAD = 100L * 1024 * 1024;
    private static final long FLOOD = 200L * 1024 * 1024;

    @TempDir
    Path dir;

    @Test
    void largeBodiesStreamBothWaysThroughA64MegabyteHeap() throws Exception {
        try (TestOrigin blue = TestOrigin.start("blue"); TestOrigin green = TestOrigin.start("green");
             TurnoutProcess turnout = TurnoutProcess.start(dir, ProxyHarness.twoPools(blue, green),
                     "-Xmx64m", "-XX:MaxDirectMemorySize=64m", "-XX:+ExitOnOutOfMemoryError");
             RawHttp client = RawHttp.connect(turnout.proxy())) {
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
            assertThat(turnout.isAlive()).isTrue();
        }
    }

    @Test
    void aTunnelToAClientThatStopsReadingHoldsTheBackendInsteadOfFillingTheHeap() throws Exception {
        try (WebSocketOrigin blue = WebSocketOrigin.start("blue"); WebSocketOrigin green = WebSocketOrigin.start("green");
             TurnoutProcess turnout = TurnoutProcess.start(dir, "pools:\n"
                     + "  blue: { backends: [\"" + blue.address() + "\"] }\n"
                     + "  green: { backends: [\"" + green.address() + "\"] }\n",
                     "-Xmx64m", "-XX:MaxDirectMemorySize=64m", "-XX:+ExitOnOutOfMemoryError");
             RawHttp client = RawHttp.connect(turnout.proxy())) {
            RawWebSocket socket = RawWebSocket.open(client, "/ws");
            socket.sendText("flood " + FLOOD);
            // The client reads nothing for a second: the backend gets through no more than the socket buffers on the way
            // hold (loopback ones may grow to 32 MB), not the 200 MB it has to send.
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(30)).until(() -> blue.flooded() < FLOOD / 2);
            assertThat(turnout.isAlive()).isTrue();

            long received = 0;
            int frames = 0;
            RawWebSocket.Frame frame;
            while ((frame = socket.next()).opcode() == RawWebSocket.BINARY) {
                received += frame.payload().length;
                if (++frames % 4 == 0) {
                    Thread.sleep(1); // then a client slower than the backend
                }
            }
            assertThat(frame.text()).isEqualTo("done");
            assertThat(received).isEqualTo(FLOOD);
            assertThat(turnout.isAlive()).isTrue();
        }
    }
}
