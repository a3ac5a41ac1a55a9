package dev.turnout.base;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** logging.format: json writes one object per line, with the exception's class and message, and its trace only on ERROR. */
class JsonLogLayoutTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final LoggerContext context = new LoggerContext();
    private final JsonLogLayout layout = new JsonLogLayout();

    private JsonNode line(Level level, String message, Throwable thrown, Object... args) throws IOException {
        LoggingEvent event = new LoggingEvent("test", context.getLogger("dev.turnout.proxy.ProxyExchange"), level, message, thrown, args);
        event.setTimeStamp(1_764_646_105_123L);
        String out = layout.doLayout(event);
        assertThat(out).endsWith(System.lineSeparator());
        assertThat(out.strip()).doesNotContain("\n").doesNotContain("\r");
        return JSON.readTree(out);
    }

    @Test
    void anEventIsOneObjectWithTimeLevelLoggerThreadAndMessage() throws Exception {
        JsonNode line = line(Level.INFO, "flip {} -> {}\nsecond \"line\"", null, "blue", "green");
        assertThat(line.get("time").asText()).isEqualTo("2025-12-02T03:28:25.123Z");
        assertThat(line.get("level").asText()).isEqualTo("INFO");
        assertThat(line.get("logger").asText()).isEqualTo("dev.turnout.proxy.ProxyExchange");
        assertThat(line.has("thread")).isTrue();
        assertThat(line.get("message").asText()).isEqualTo("flip blue -> green\nsecond \"line\"");
        assertThat(line.has("exceptionClass")).isFalse();
    }

    @Test
    void anExceptionGivesItsClassAndMessageAndATraceOnlyOnError() throws Exception {
        Exception cause = new java.net.ConnectException("Connection refused");
        JsonNode warn = line(Level.WARN, "backend down", new IllegalStateException("no route", cause));
        assertThat(warn.get("exceptionClass").asText()).isEqualTo("java.lang.IllegalStateException");
        assertThat(warn.get("exceptionMessage").asText()).isEqualTo("no route");
        assertThat(warn.has("stackTrace")).isFalse();

        JsonNode error = line(Level.ERROR, "unexpected", new IllegalStateException("bug", cause));
        assertThat(error.get("exceptionClass").asText()).isEqualTo("java.lang.IllegalStateException");
        assertThat(error.get("stackTrace").asText())
                .startsWith("java.lang.IllegalStateException: bug\n\tat dev.turnout.base.JsonLogLayoutTest.")
                .contains("\nCaused by: java.net.ConnectException: Connection refused\n\tat ");
    }
}
