package dev.turnout.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.LogCapture;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import dev.turnout.testing.TestOrigin;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thousands of mutated and random requests, from a fixed seed so any failure replays: the proxy
 * must answer each with well-formed HTTP or close, never fail inside a handler, never leak, and
 * still serve a normal request afterwards.
 */
class FuzzTest {

    private static final long SEED = 20261126L;
    private static final int CASES = 2000;
    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.1 [1-5]\\d\\d .*");

    private static final String[] VALID = {
        "GET /v1/models HTTP/1.1\r\nHost: api.test\r\nAuthorization: Bearer sk-1\r\nAccept: */*\r\n\r\n",
        "POST /v1/chat/completions HTTP/1.1\r\nHost: api.test\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n{\"model\":\"m\",\"stream\":true}",
        "POST /upload HTTP/1.1\r\nHost: api.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
        "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        "HEAD /stream?chunks=2&intervalMs=1 HTTP/1.1\r\nHost: api.test\r\n\r\n",
        "PUT /thing HTTP/1.1\r\nHost: api.test\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
        "GET /a HTTP/1.1\r\nHost: api.test\r\n\r\nGET /b HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n\r\n",
    };
    private static final byte[] SPICE = " \t\r\n:;,\0\u00ff\u0080/?#%\"\\-0123456789abcdefxXHTP".getBytes(StandardCharsets.ISO_8859_1);

    @TempDir
    Path dir;

    @Test
    void mutatedAndRandomRequestsNeverBreakTheProxy() throws Exception {
        try (TestOrigin blue = TestOrigin.start("blue"); TestOrigin green = TestOrigin.start("green");
             ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.twoPools(blue, green)
                     + "limits: { headerTimeout: 200ms, idleTimeout: 100ms, maxBodyBytes: 64KiB }\n"
                     + "upstream: { firstByteTimeout: 1s, readTimeout: 1s }\nhealth: { interval: 1h }\n")) {
            Random random = new Random(SEED);
            List<byte[]> cases = new ArrayList<>();
            for (int i = 0; i < CASES; i++) {
                cases.add(i % 10 == 9 ? randomBytes(random) : mutate(VALID[random.nextInt(VALID.length)], random));
            }
            ConcurrentLinkedQueue<String> malformedAnswers = new ConcurrentLinkedQueue<>();
            AtomicInteger answered = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(16);
            for (int i = 0; i < cases.size(); i++) {
                int n = i;
                pool.execute(() -> exchange(proxy, n, cases.get(n), malformedAnswers, answered));
            }
            pool.shutdown();
            assertThat(pool.awaitTermination(5, TimeUnit.MINUTES)).isTrue();

            assertThat(malformedAnswers).isEmpty();
            assertThat(answered.get()).isGreaterThan(CASES / 2);
            assertThat(LogCapture.errors()).isEmpty();
            try (RawHttp client = proxy.client()) {
                assertThat(client.get("/after-the-storm").status()).isEqualTo(200);
            }
        }
    }

    /** Sends one case and reads until the proxy closes; every answer must start with a valid status line. */
    private static void exchange(ProxyHarness proxy, int n, byte[] bytes, ConcurrentLinkedQueue<String> bad, AtomicInteger answered) {
        try (Socket socket = new Socket("127.0.0.1", proxy.proxy().getPort())) {
            socket.setSoTimeout(10_000);
            try {
                socket.getOutputStream().write(bytes);
            } catch (IOException e) {
                return; // closed on us mid-write: a fine answer to garbage
            }
            InputStream in = socket.getInputStream();
            byte[] all = in.readAllBytes();
            if (all.length == 0) {
                return;
            }
            answered.incrementAndGet();
            String text = new String(all, StandardCharsets.ISO_8859_1);
            String firstLine = text.substring(0, Math.max(0, text.indexOf("\r\n")));
            if (!STATUS_LINE.matcher(firstLine).matches()) {
                bad.add("case " + n + ": " + firstLine);
            }
        } catch (SocketTimeoutException e) {
            bad.add("case " + n + ": no answer and no close within 10 s");
        } catch (IOException e) {
            // a reset is a close
        }
    }

    private static byte[] mutate(String valid, Random random) {
        List<Byte> bytes = new ArrayList<>();
        for (byte b : valid.getBytes(StandardCharsets.ISO_8859_1)) {
            bytes.add(b);
        }
        int mutations = 1 + random.nextInt(4);
        for (int m = 0; m < mutations && !bytes.isEmpty(); m++) {
            int at = random.nextInt(bytes.size());
            switch (random.nextInt(6)) {
                case 0 -> bytes.set(at, (byte) random.nextInt(256));
                case 1 -> bytes.add(at, SPICE[random.nextInt(SPICE.length)]);
                case 2 -> bytes.remove(at);
                case 3 -> bytes.subList(at, Math.min(bytes.size(), at + 1 + random.nextInt(8))).clear();
                case 4 -> {
                    int len = Math.min(bytes.size() - at, 1 + random.nextInt(20));
                    bytes.addAll(at, new ArrayList<>(bytes.subList(at, at + len)));
                }
                default -> {
                    while (bytes.size() > at) {
                        bytes.remove(bytes.size() - 1);
                    }
                }
            }
        }
        byte[] out = new byte[bytes.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = bytes.get(i);
        }
        return out;
    }

    private static byte[] randomBytes(Random random) {
        byte[] out = new byte[1 + random.nextInt(600)];
        random.nextBytes(out);
        return out;
    }
}
