package dev.turnout.proxy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.turnout.config.ProxyConfig;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one line per completed exchange, and per answer given before routing, to the logger
 * {@code turnout.access} (see {@link AccessLogAppenders} for where it goes). Called on event loops:
 * it formats the line and hands it to logback's asynchronous appender, which never blocks.
 */
public final class AccessLog {

    public static final String LOGGER = "turnout.access";

    private static final Logger log = LoggerFactory.getLogger(LOGGER);
    private static final JsonFactory JSON = new JsonFactory();
    private static final DateTimeFormatter ISO_MILLIS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter NGINX_LOCAL = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ENGLISH)
            .withZone(ZoneId.systemDefault());

    /** One line's values; pool, backend and error are null when there is none. */
    record Line(AccessRequest request, int status, long bytesIn, long bytesOut, long durationNanos, long firstByteNanos,
                String pool, String backend, long generation, int retries, String error) {}

    private final AccessLogAppenders appenders;

    private AccessLog(AccessLogAppenders appenders) {
        this.appenders = appenders;
    }

    /** Sends the logger {@code turnout.access} where {@code config} says, replacing what a Turnout before this one set up. */
    public static AccessLog start(ProxyConfig.AccessLog config) {
        return new AccessLog(AccessLogAppenders.install(LOGGER, config));
    }

    /** Writes the lines still queued and closes the file. */
    public void stop() {
        appenders.stop();
    }

    /** A request Turnout answered itself before routing: no pool, no backend. */
    void answered(AccessRequest request, int status, String error, long generation) {
        if (request != null) {
            write(new Line(request, status, 0, 0, System.nanoTime() - request.startNanos(), -1, null, null, generation, 0, error));
        }
    }

    void write(Line line) {
        String text = line.request().format() == ProxyConfig.AccessLog.Format.JSON ? json(line) : combined(line);
        log.info(text);
    }

    static String json(Line line) {
        AccessRequest r = line.request();
        StringWriter out = new StringWriter(320);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("time", ISO_MILLIS.format(Instant.now()));
            g.writeStringField("client", r.client().toString());
            g.writeStringField("method", r.method());
            g.writeStringField("target", r.target());
            g.writeStringField("protocol", r.protocol());
            g.writeNumberField("status", line.status());
            g.writeNumberField("bytesIn", line.bytesIn());
            g.writeNumberField("bytesOut", line.bytesOut());
            g.writeNumberField("durationMs", millis(line.durationNanos()));
            if (line.firstByteNanos() < 0) {
                g.writeNullField("firstByteMs");
            } else {
                g.writeNumberField("firstByteMs", millis(line.firstByteNanos()));
            }
            g.writeStringField("pool", line.pool());
            g.writeStringField("backend", line.backend());
            g.writeNumberField("generation", line.generation());
            g.writeNumberField("retries", line.retries());
            g.writeStringField("requestId", r.requestId());
            g.writeStringField("userAgent", r.userAgent());
            if (line.error() != null) {
                g.writeStringField("error", line.error());
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** nginx's combined format, then pool, backend, generation and duration in seconds (as nginx's $request_time). */
    static String combined(Line line) {
        AccessRequest r = line.request();
        StringBuilder b = new StringBuilder(256);
        b.append(r.client()).append(" - - [").append(NGINX_LOCAL.format(Instant.now())).append("] \"");
        if (r.method().equals(AccessRequest.NONE)) {
            b.append(AccessRequest.NONE);
        } else {
            escaped(b, r.method() + " " + r.target() + " " + r.protocol());
        }
        b.append("\" ").append(line.status()).append(' ').append(line.bytesOut()).append(" \"");
        escaped(b, r.referer()).append("\" \"");
        escaped(b, r.userAgent()).append("\" pool=").append(orDash(line.pool())).append(" backend=").append(orDash(line.backend()))
                .append(" generation=").append(line.generation())
                .append(String.format(Locale.ROOT, " duration=%.3f", line.durationNanos() / 1e9));
        return b.toString();
    }

    private static double millis(long nanos) {
        return Math.round(nanos / 1e3) / 1e3;
    }

    private static String orDash(String value) {
        return value == null ? AccessRequest.NONE : value;
    }

    /** As nginx escapes variables in its log: a quote, a backslash and anything outside printable ASCII as \xHH. */
    private static StringBuilder escaped(StringBuilder b, String value) {
        if (value == null || value.isEmpty()) {
            return b.append(AccessRequest.NONE);
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\' || c < 0x20 || c > 0x7e) {
                b.append(String.format(Locale.ROOT, "\\x%02X", c & 0xff));
            } else {
                b.append(c);
            }
        }
        return b;
    }
}
