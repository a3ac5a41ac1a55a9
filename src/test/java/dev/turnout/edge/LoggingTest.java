package dev.turnout.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnout.testing.BlueGreenTest;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import dev.turnout.testing.TurnoutProcess;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

/** logging.level and logging.format, applied to logback at start and by a reload, in a Turnout of its own. */
class LoggingTest extends BlueGreenTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void jsonFromTheStartThenAReloadToTextAtWarnLeavesOnlyWarnings() throws Exception {
        try (TurnoutProcess turnout = TurnoutProcess.start(dir, ProxyHarness.twoPools(blue, green) + "logging: { format: json }\n")) {
            List<String> json = turnout.output().lines().filter(l -> l.startsWith("{")).toList();
            JsonNode start = json.stream().map(LoggingTest::parse)
                    .filter(l -> l.get("message").asText().startsWith("turnout listening on")).findFirst().orElseThrow();
            assertThat(start.get("level").asText()).isEqualTo("INFO");
            assertThat(start.get("logger").asText()).isEqualTo("dev.turnout.TurnoutServer");
            assertThat(start.get("time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
            // Turnout's own lines are all JSON, one object per line.
            assertThat(turnout.output().lines().filter(l -> l.contains("TurnoutServer")).toList()).allMatch(l -> l.startsWith("{"));

            reload(turnout, "logging: { level: warn, format: text }\n");
            await().untilAsserted(() -> assertThat(turnout.output()).contains("logging.level: info -> warn"));
            // A reload that changes nothing logs at INFO, which warn leaves out; a refused one logs at WARN, as text.
            try (RawHttp admin = RawHttp.connect(turnout.admin())) {
                RawHttp.Response same = admin.send("POST /admin/reload HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n").read(false);
                assertThat(same.status()).isEqualTo(200);
                assertThat(same.text()).contains("\"changes\":[]");
            }
            reload(turnout, "logging: { level: loud }\n");
            await().untilAsserted(() -> assertThat(turnout.output()).contains("refused, the running config stays: logging.level"));
            String refusal = turnout.output().lines().filter(l -> l.contains("refused, the running config stays")).findFirst().orElseThrow();
            assertThat(refusal).doesNotStartWith("{").contains("WARN");
            assertThat(turnout.output()).doesNotContain("no changes");
        }
    }

    /**
     * The access log is not Turnout's own lines: logger turnout.access has its own appender and
     * format, so logging.format json neither wraps its lines in another object nor re-formats them,
     * and logging.level warn does not drop them (they are INFO).
     */
    @Test
    void jsonLoggingAtWarnLeavesTheAccessLogAlone() throws Exception {
        try (TurnoutProcess turnout = TurnoutProcess.start(dir, ProxyHarness.twoPools(blue, green)
                + "logging: { format: json }\naccessLog: { exclude: [] }\n")) {
            String id;
            try (RawHttp client = RawHttp.connect(turnout.proxy())) {
                RawHttp.Response r = client.get("/v1/models?k=1");
                assertThat(r.status()).isEqualTo(200);
                id = r.header("x-request-id").orElseThrow();
                assertThat(client.get("/turnout/health").status()).isEqualTo(200);
            }
            await().untilAsserted(() -> assertThat(turnout.output()).contains("\"target\":\"/turnout/health\""));
            List<JsonNode> access = turnout.output().lines().filter(l -> l.contains("\"target\":")).map(LoggingTest::parse).toList();
            assertThat(access).hasSize(2);
            JsonNode proxied = access.get(0);
            assertThat(proxied.has("message")).as("not wrapped by the JSON layout").isFalse();
            assertThat(proxied.has("level")).isFalse();
            assertThat(proxied.get("target").asText()).isEqualTo("/v1/models?k=1");
            assertThat(proxied.get("status").asInt()).isEqualTo(200);
            assertThat(proxied.get("requestId").asText()).isEqualTo(id);
            assertThat(access.get(1).get("status").asInt()).isEqualTo(200);
            assertThat(access.get(1).get("pool").isNull()).isTrue();

            // At warn (the start line needs info), the access lines, which are INFO, still come, unwrapped.
            Files.writeString(dir.resolve("proxy.yaml"), ProxyHarness.fullYaml(dir, ProxyHarness.twoPools(blue, green)
                    + "logging: { level: warn, format: json }\naccessLog: { exclude: [] }\n"));
            try (RawHttp admin = RawHttp.connect(turnout.admin())) {
                RawHttp.Response reloaded = admin.send("POST /admin/reload HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n").read(false);
                assertThat(reloaded.status()).isEqualTo(200);
                assertThat(reloaded.text()).contains("logging.level");
            }
            try (RawHttp client = RawHttp.connect(turnout.proxy())) {
                assertThat(client.get("/after-reload").status()).isEqualTo(200);
            }
            await().untilAsserted(() -> assertThat(turnout.output()).contains("\"target\":\"/after-reload\""));
            String after = turnout.output().lines().filter(l -> l.contains("\"target\":\"/after-reload\"")).findFirst().orElseThrow();
            assertThat(parse(after).has("message")).isFalse();
        }
    }

    private void reload(TurnoutProcess turnout, String yaml) throws Exception {
        Files.writeString(dir.resolve("proxy.yaml"), ProxyHarness.fullYaml(dir, ProxyHarness.twoPools(blue, green) + yaml));
        turnout.signal("HUP");
    }

    private static JsonNode parse(String line) {
        try {
            return JSON.readTree(line);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + line, e);
        }
    }
}
