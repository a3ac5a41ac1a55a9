package dev.turnout.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import dev.turnout.testing.BlueGreenTest;
import dev.turnout.testing.LogCapture;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ClientLimitsTest extends BlueGreenTest {


    @Test
    void aHeadNotCompleteWithinHeaderTimeoutIs408() throws Exception {
        try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.twoPools(blue, green)
                + "limits: { headerTimeout: 300ms, idleTimeout: 1m }\n")) {
            try (RawHttp client = proxy.client()) {
                client.send("GET / HTTP/1.1\r\nHost: t\r\n");
                RawHttp.Response r = client.read(false);
                assertThat(r.status()).isEqualTo(408);
                assertThat(client.closedByPeer()).isTrue();
            }
            try (RawHttp silent = proxy.client()) {
                assertThat(silent.read(false).status()).isEqualTo(408);
            }
            try (RawHttp client = proxy.client()) {
                assertThat(client.get("/").status()).isEqualTo(200);
                // On a kept-alive connection the clock starts with the next head's first byte.
                client.send("GET /second HTTP/1.1\r\n");
                assertThat(client.read(false).status()).isEqualTo(408);
            }
            assertThat(blue.requests()).isEqualTo(1);
        }
    }

    @Test
    void onAKeptAliveConnectionTheHeaderTimeoutRunsFromTheFirstByteNotFromIdleTimeout() throws Exception {
        try (ProxyHarness proxy = startProxy("limits: { headerTimeout: 300ms, idleTimeout: 1h }\n");
             RawHttp client = proxy.client()) {
            assertThat(client.get("/").status()).isEqualTo(200);
            Thread.sleep(500); // idle for longer than headerTimeout, far below idleTimeout
            client.send("GET /second HTTP/1.1\r\n");
            // Without the 408, this read would wait for the hour-long idle timeout and hit the socket's timeout.
            assertThat(client.read(false).status()).isEqualTo(408);
        }
    }

    @Test
    void anIdleKeepAliveConnectionIsClosedAfterIdleTimeout() throws Exception {
        try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.twoPools(blue, green)
                + "limits: { idleTimeout: 300ms }\n");
             RawHttp client = proxy.client()) {
            assertThat(client.get("/").status()).isEqualTo(200);
            assertThat(client.closedByPeer()).isTrue();
        }
    }

    @Test
    void aClientThatNeverReadsItsAnswersIsDroppedOnceItHasBeenStuckForIdleTimeout() throws Exception {
        try (ProxyHarness proxy = startProxy("limits: { idleTimeout: 500ms }\n");
             Socket client = new Socket(proxy.proxy().getAddress(), proxy.proxy().getPort())) {
            byte[] request = "GET /health HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            byte[] block = new byte[16 * 1024 / request.length * request.length];
            for (int i = 0; i < block.length; i += request.length) {
                System.arraycopy(request, 0, block, i, request.length);
            }
            AtomicInteger refused = new AtomicInteger();
            Thread writer = new Thread(() -> {
                try {
                    OutputStream out = client.getOutputStream();
                    // Enough answers to fill the socket buffers and Turnout's outbound buffer; then more, until refused.
                    for (int i = 0; i < 128; i++) {
                        out.write(block);
                    }
                    while (!Thread.currentThread().isInterrupted()) {
                        out.write(request);
                        Thread.sleep(50);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (IOException e) {
                    refused.incrementAndGet();
                }
            });
            writer.setDaemon(true);
            writer.start();
            // Turnout closes the connection although its last answers were never taken, which fails the blocked write.
            try {
                // Kernel buffers take answers for a while first (the send buffer grows to megabytes), so this can take seconds.
                await().atMost(Duration.ofMinutes(1)).untilAtomic(refused, equalTo(1));
            } finally {
                writer.interrupt();
            }
        }
    }

    @Test
    void pastMaxConnectionsNewConnectionsGet503() throws Exception {
        try (ProxyHarness proxy = startProxy("limits: { maxConnections: 3 }\n")) {
            List<RawHttp> held = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    RawHttp c = proxy.client();
                    assertThat(c.get("/").status()).isEqualTo(200);
                    held.add(c);
                }
                try (RawHttp extra = proxy.client()) {
                    RawHttp.Response r = extra.read(false);
                    assertThat(r.status()).isEqualTo(503);
                    assertThat(r.text()).contains("too many connections");
                    assertThat(extra.closedByPeer()).isTrue();
                }
                assertThat(LogCapture.lines()).contains(
                        "WARN ConnectionLimiter: connection from 127.0.0.1 refused with 503: limits.maxConnections (3) reached");
                held.remove(0).close();
                await().untilAsserted(() -> {
                    try (RawHttp again = proxy.client()) {
                        assertThat(again.get("/").status()).isEqualTo(200);
                    }
                });
            } finally {
                for (RawHttp c : held) {
                    c.close();
                }
            }
        }
    }

    @Test
    void hundredsOfSlowHeaderClientsDoNotStopNormalClients() throws Exception {
        try (ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.twoPools(blue, green)
                + "limits: { headerTimeout: 2s }\n")) {
            int slowCount = 300;
            List<Socket> slow = new ArrayList<>();
            AtomicInteger timedOut = new AtomicInteger();
            try {
                for (int i = 0; i < slowCount; i++) {
                    Socket s = new Socket("127.0.0.1", proxy.proxy().getPort());
                    s.setSoTimeout(20_000);
                    s.getOutputStream().write("GET /slow-client HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
                    slow.add(s);
                }
                Thread dripper = new Thread(() -> drip(slow));
                dripper.setDaemon(true);
                dripper.start();

                ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
                List<Thread> normal = new ArrayList<>();
                for (int c = 0; c < 8; c++) {
                    Thread t = new Thread(() -> {
                        try (RawHttp client = proxy.client()) {
                            for (int i = 0; i < 50; i++) {
                                int status = client.get("/normal").status();
                                if (status != 200) {
                                    failures.add("status " + status);
                                }
                            }
                        } catch (IOException e) {
                            failures.add(e.toString());
                        }
                    });
                    normal.add(t);
                    t.start();
                }
                for (Thread t : normal) {
                    t.join();
                }
                assertThat(failures).isEmpty();
                assertThat(blue.requests()).isEqualTo(400);

                for (Socket s : slow) {
                    byte[] answer = s.getInputStream().readNBytes(12);
                    if (new String(answer, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 408")) {
                        timedOut.incrementAndGet();
                    }
                }
                assertThat(timedOut.get()).isEqualTo(slowCount);
            } finally {
                for (Socket s : slow) {
                    s.close();
                }
            }
        }
    }

    /** One more header byte every 100 ms on every slow connection: always alive, never done. */
    private static void drip(List<Socket> sockets) {
        try {
            for (int round = 0; round < 200; round++) {
                for (Socket s : sockets) {
                    try {
                        OutputStream out = s.getOutputStream();
                        out.write('X');
                        out.flush();
                    } catch (IOException closed) {
                        // the proxy gave up on this one, as it should
                    }
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
