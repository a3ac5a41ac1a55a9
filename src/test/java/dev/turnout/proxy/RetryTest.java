package dev.turnout.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import dev.turnout.testing.TestOrigin;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RetryTest {

    @TempDir
    Path dir;

    TestOrigin flaky;
    TestOrigin good;
    TestOrigin green;

    @BeforeEach
    void start() throws Exception {
        flaky = TestOrigin.start("flaky");
        good = TestOrigin.start("good");
        green = TestOrigin.start("green");
    }

    @AfterEach
    void stop() {
        flaky.close();
        good.close();
        green.close();
    }

    /** blue = [flaky, good]; checks are slow so that only live traffic judges the backends here. */
    private ProxyHarness proxy() throws Exception {
        return ProxyHarness.start(dir, "pools:\n"
                + "  blue: { backends: [\"" + flaky.address() + "\", \"" + good.address() + "\"] }\n"
                + "  green: { backends: [\"" + green.address() + "\"] }\n"
                + "health: { interval: 1h, timeout: 1s }\n");
    }

    private static String post(RawHttp client, String path) throws Exception {
        client.send("POST " + path + " HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{\"model\":\"gpt-x\"}");
        RawHttp.Response r = client.read(false);
        return r.status() + " " + r.header("X-Origin").orElse("-");
    }

    @Test
    void aDeadBackendCostsNoFailedGetOrPost() throws Exception {
        flaky.close();
        try (ProxyHarness proxy = proxy(); RawHttp client = proxy.client()) {
            for (int i = 0; i < 10; i++) {
                assertThat(client.get("/v1/models").status()).isEqualTo(200);
                assertThat(post(client, "/v1/chat/completions")).isEqualTo("200 good");
            }
        }
        assertThat(good.requests()).isEqualTo(20);
    }

    @Test
    void aPostThatMayHaveReachedABackendIsNeverSentTwice() throws Exception {
        flaky.resetAll(true);
        try (ProxyHarness proxy = proxy()) {
            int answered502 = 0;
            for (int i = 0; i < 6; i++) {
                try (RawHttp client = proxy.client()) {
                    String r = post(client, "/v1/chat/completions");
                    assertThat(r).isIn("200 good", "502 -");
                    answered502 += r.startsWith("502") ? 1 : 0;
                }
            }
            // Every POST reached exactly one backend: the ones the flaky backend swallowed came back as 502.
            assertThat(flaky.requests() + good.requests()).isEqualTo(6);
            assertThat(answered502).isEqualTo(flaky.requests()).isPositive();
        }
    }

    @Test
    void anIdempotentRequestResetBeforeAnyAnswerGoesToAnotherBackend() throws Exception {
        flaky.resetAll(true);
        try (ProxyHarness proxy = proxy(); RawHttp client = proxy.client()) {
            for (int i = 0; i < 6; i++) {
                assertThat(client.get("/v1/models").header("X-Origin")).contains("good");
            }
        }
        assertThat(flaky.requests()).isPositive();
        assertThat(good.requests()).isEqualTo(6);
    }

    @Test
    void a503AnswerIsRetriedForGetButAPostGetsTheBackendsOwnAnswer() throws Exception {
        flaky.answerAll(503);
        try (ProxyHarness proxy = proxy(); RawHttp client = proxy.client()) {
            for (int i = 0; i < 4; i++) {
                assertThat(client.get("/v1/models").header("X-Origin")).contains("good");
            }
            int ownAnswers = 0;
            for (int i = 0; i < 4; i++) {
                String r = post(client, "/v1/chat/completions");
                assertThat(r).isIn("200 good", "503 flaky");
                ownAnswers += r.equals("503 flaky") ? 1 : 0;
            }
            assertThat(ownAnswers).isPositive();
        }
    }

    @Test
    void retriesNeverCrossPools() throws Exception {
        flaky.resetAll(true);
        try (ProxyHarness proxy = ProxyHarness.start(dir, "pools:\n"
                + "  blue: { backends: [\"" + flaky.address() + "\"] }\n"
                + "  green: { backends: [\"" + green.address() + "\"] }\n");
             RawHttp client = proxy.client()) {
            assertThat(client.get("/").status()).isEqualTo(502);
        }
        assertThat(green.requests()).isZero();
    }

    @Test
    void attemptsBoundTheTries() throws Exception {
        try (TestOrigin third = TestOrigin.start("third")) {
            flaky.answerAll(503);
            third.answerAll(503);
            good.answerAll(503);
            try (ProxyHarness proxy = ProxyHarness.start(dir, "pools:\n"
                    + "  blue: { backends: [\"" + flaky.address() + "\", \"" + third.address() + "\", \"" + good.address() + "\"] }\n"
                    + "  green: { backends: [\"" + green.address() + "\"] }\n"
                    + "retry: { attempts: 2 }\n");
                 RawHttp client = proxy.client()) {
                assertThat(client.get("/").status()).isEqualTo(503);
            }
            assertThat(flaky.requests() + third.requests() + good.requests()).isEqualTo(2);
        }
    }
}
