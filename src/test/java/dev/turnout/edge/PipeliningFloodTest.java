package dev.turnout.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import dev.turnout.testing.TestOrigin;
import dev.turnout.testing.TurnoutProcess;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit's critical finding: clients that pipeline requests and never read an answer. Turnout
 * runs in a JVM of its own with a 64 MB heap, as the Dockerfile's flags would have it killed by an
 * OutOfMemoryError; four such clients flood it while a fifth client must be served throughout.
 */
class PipeliningFloodTest {

    /** More than the flooded JVM's heap and direct memory together, per connection. */
    private static final long FLOOD_BYTES = 256L * 1024 * 1024;

    @TempDir
    Path dir;

    @Test
    void clientsThatPipelineWithoutReadingAreHeldByBackpressureNotByMemory() throws Exception {
        try (TestOrigin blue = TestOrigin.start("blue"); TestOrigin green = TestOrigin.start("green");
             TurnoutProcess turnout = TurnoutProcess.start(dir, ProxyHarness.twoPools(blue, green),
                     "-Xmx64m", "-XX:MaxDirectMemorySize=64m", "-XX:+ExitOnOutOfMemoryError")) {
            long residentBefore = turnout.residentBytes();
            List<Flooder> flooders = new ArrayList<>();
            for (String path : List.of("/health", "/health", "/health", "/bytes?n=8192")) {
                Flooder f = new Flooder(turnout, path);
                flooders.add(f);
                f.start();
            }
            try (RawHttp other = RawHttp.connect(turnout.proxy())) {
                AtomicLong lastTotal = new AtomicLong(-1);
                // Served throughout: until every flooder is stuck (its total stopped moving) or done.
                await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                    for (int i = 0; i < 20; i++) {
                        assertThat(other.get("/during-flood").status()).isEqualTo(200);
                    }
                    long total = flooders.stream().mapToLong(f -> f.sent.get()).sum();
                    return total == lastTotal.getAndSet(total);
                });
                long residentDuring = turnout.residentBytes();
                System.out.printf("flood: RSS before %d MB, during %d MB; sent per connection %s%n", residentBefore >> 20,
                        residentDuring >> 20, flooders.stream().map(f -> (f.sent.get() >> 20) + " MB").toList());

                assertThat(turnout.isAlive()).as("turnout alive:\n%s", turnout.output()).isTrue();
                assertThat(turnout.output()).doesNotContain("OutOfMemoryError");
                for (Flooder f : flooders) {
                    assertThat(f.sent.get()).as("bytes %s accepted from a client that reads nothing", f.path)
                            .isLessThan(FLOOD_BYTES);
                }
                // Kernel buffers hold what Turnout does not read; its own memory stays within its flags.
                assertThat(residentDuring).as("resident memory during the flood").isLessThan(residentBefore + 128L * 1024 * 1024);
                assertThat(other.get("/after-flood").status()).isEqualTo(200);
            } finally {
                flooders.forEach(Flooder::halt);
            }
            try (RawHttp fresh = RawHttp.connect(turnout.proxy())) {
                assertThat(fresh.get("/fresh").status()).isEqualTo(200);
            }
        }
    }

    /** Writes pipelined requests, 64 KiB per write, and never reads. */
    private static final class Flooder extends Thread {
        final String path;
        final AtomicLong sent = new AtomicLong();
        private final Socket socket;

        Flooder(TurnoutProcess turnout, String path) throws Exception {
            super("flood " + path);
            setDaemon(true);
            this.path = path;
            this.socket = new Socket(turnout.proxy().getAddress(), turnout.proxy().getPort());
        }

        @Override
        public void run() {
            byte[] one = ("GET " + path + " HTTP/1.1\r\nHost: flood\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            byte[] block = new byte[64 * 1024 / one.length * one.length];
            for (int i = 0; i < block.length; i += one.length) {
                System.arraycopy(one, 0, block, i, one.length);
            }
            try {
                OutputStream out = socket.getOutputStream();
                while (sent.get() < FLOOD_BYTES) {
                    out.write(block);
                    sent.addAndGet(block.length);
                }
            } catch (Exception e) {
                // Closed by halt(), or by Turnout dying: the assertions tell which.
            }
        }

        void halt() {
            try {
                socket.close();
            } catch (Exception ignored) {
                // Already closed.
            }
        }
    }
}
