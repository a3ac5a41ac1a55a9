package dev.turnout.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import dev.turnout.testing.TestOrigin;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import dev.turnout.testing.TestCertificates;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.io.TempDir;

/**
 * 32 keep-alive clients hammer the proxy while it flips 24 times: no request may fail or go back in
 * time. Once over HTTP/1.1 connections, once as HTTP/2 streams, 8 at a time on each of 4 connections.
 */
class FlipUnderLoadTest {

    private static final int CLIENTS = 32;
    private static final int FLIPS = 24;

    @TempDir
    Path dir;

    record Seen(long sentNanos, long receivedNanos, String pool) {}

    /** Generation g was published somewhere in [S_g, A_g] and replaced somewhere in [S_g+1, A_g+1]. */
    record Generation(long number, String pool, long flipSentNanos, long flipAnsweredNanos) {}

    /** One request of a client: what pool answered; throws or returns null on a failure, which it describes in {@code failures}. */
    interface Client {
        String get(ConcurrentLinkedQueue<String> failures) throws Exception;
    }

    @Test
    void flipsUnderLoadLoseNothingAndEveryClientSeesGenerationsInOrder() throws Exception {
        try (TestOrigin blue = TestOrigin.start("blue");
             TestOrigin green = TestOrigin.start("green");
             ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.twoPools(blue, green))) {
            flipUnderLoad(proxy, blue, green, c -> {
                RawHttp http = proxy.client();
                return failures -> {
                    RawHttp.Response r = http.get("/load");
                    if (r.status() != 200) {
                        failures.add(Thread.currentThread().getName() + ": status " + r.status() + " " + r.text());
                        return null;
                    }
                    return r.header("X-Origin").orElse("?");
                };
            });
        }
    }

    @Test
    void flipsUnderHttp2LoadLoseNoStreamAndEveryStreamSequenceSeesGenerationsInOrder() throws Exception {
        TestCertificates.Issued ca = TestCertificates.writeLocalhost(dir, "h2");
        try (TestOrigin blue = TestOrigin.start("blue");
             TestOrigin green = TestOrigin.start("green");
             ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.twoPools(blue, green) + "tls:\n  listen: 127.0.0.1:0\n"
                     + "  certificates:\n    - { cert: " + dir.resolve("h2.crt") + ", key: " + dir.resolve("h2.key") + " }\n")) {
            SSLContext tls = TestCertificates.trusting(ca);
            // Each JDK client keeps one HTTP/2 connection: 8 sequential workers share each of the 4.
            List<HttpClient> connections = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                connections.add(HttpClient.newBuilder().sslContext(tls).version(HttpClient.Version.HTTP_2).build());
            }
            URI uri = URI.create("https://127.0.0.1:" + proxy.server().tlsAddress().orElseThrow().getPort() + "/load");
            flipUnderLoad(proxy, blue, green, c -> failures -> {
                HttpResponse<String> r = connections.get(c % 4).send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200 || r.version() != HttpClient.Version.HTTP_2) {
                    failures.add(Thread.currentThread().getName() + ": " + r.version() + " status " + r.statusCode() + " " + r.body());
                    return null;
                }
                return r.headers().firstValue("x-origin").orElse("?");
            });
        }
    }

    interface ClientFactory {
        Client open(int index) throws Exception;
    }

    private void flipUnderLoad(ProxyHarness proxy, TestOrigin blue, TestOrigin green, ClientFactory factory) throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        List<List<Seen>> seenByClient = new ArrayList<>();
        CountDownLatch warm = new CountDownLatch(CLIENTS);
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            List<Seen> seen = new ArrayList<>();
            seenByClient.add(seen);
            int index = c;
            Thread t = new Thread(() -> runClient(factory, index, running, seen, failures, warm), "client-" + c);
            clients.add(t);
            t.start();
        }
        warm.await();

        List<Generation> generations = new ArrayList<>();
        generations.add(new Generation(1, "blue", Long.MIN_VALUE, Long.MIN_VALUE));
        for (int i = 0; i < FLIPS; i++) {
            long sent = System.nanoTime();
            ProxyHarness.Admin flip = proxy.admin("POST", "/admin/switch");
            long answered = System.nanoTime();
            assertThat(flip.status()).isEqualTo(200);
            assertThat(flip.json().get("drained").asBoolean()).isTrue();
            generations.add(new Generation(flip.json().get("generation").asLong(), flip.json().get("to").asText(), sent, answered));
            Thread.sleep(60);
        }
        Thread.sleep(200);
        running.set(false);
        for (Thread t : clients) {
            t.join();
        }

        assertThat(failures).isEmpty();
        for (int i = 1; i < generations.size(); i++) {
            assertThat(generations.get(i).number()).isEqualTo(generations.get(i - 1).number() + 1);
        }
        long total = seenByClient.stream().mapToLong(List::size).sum();
        assertThat(total).isGreaterThan(CLIENTS * 10L);
        for (List<Seen> seen : seenByClient) {
            assertInGenerationOrder(seen, generations);
        }
        assertThat(blue.requests()).isPositive();
        assertThat(green.requests()).isPositive();
    }

    private static void runClient(ClientFactory factory, int index, AtomicBoolean running, List<Seen> seen,
                                  ConcurrentLinkedQueue<String> failures, CountDownLatch warm) {
        try {
            Client client = factory.open(index);
            boolean first = true;
            while (running.get()) {
                long sent = System.nanoTime();
                String pool = client.get(failures);
                long received = System.nanoTime();
                if (pool == null) {
                    return;
                }
                seen.add(new Seen(sent, received, pool));
                if (first) {
                    warm.countDown();
                    first = false;
                }
            }
        } catch (Exception e) {
            failures.add(Thread.currentThread().getName() + ": " + e);
            warm.countDown();
        }
    }

    /**
     * Gives each answer the lowest generation that could have served it (right pool, live during
     * the request) and is not older than the one before: if none exists, the client went back in time.
     */
    private static void assertInGenerationOrder(List<Seen> seen, List<Generation> generations) {
        int current = 0;
        for (Seen s : seen) {
            int g = current;
            while (g < generations.size() && !couldServe(generations, g, s)) {
                g++;
            }
            assertThat(g).as("a generation at or after %d that served %s", generations.get(current).number(), s)
                    .isLessThan(generations.size());
            current = g;
        }
    }

    private static boolean couldServe(List<Generation> generations, int g, Seen s) {
        Generation gen = generations.get(g);
        boolean publishedBeforeAnswer = gen.flipSentNanos() <= s.receivedNanos();
        boolean replacedAfterSend = g + 1 == generations.size() || generations.get(g + 1).flipAnsweredNanos() >= s.sentNanos();
        return gen.pool().equals(s.pool()) && publishedBeforeAnswer && replacedAfterSend;
    }
}
