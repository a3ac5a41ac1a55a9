package dev.turnout.proxy;

import dev.turnout.config.ProxyConfig;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Optional;

/**
 * Formats one line per completed exchange, and per answer given before routing, and hands it to the
 * {@link AccessLogWriter}, which never blocks. Called on event loops.
 */
public final class AccessLog {

    /** The logger name the writer's blocks carry, for logback's appenders (none of logback's config applies to them). */
    static final String LOGGER = "turnout.access";
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();
    /** The JSON time up to its milliseconds ({@code yyyy-MM-dd'T'HH:mm:ss.SSS'Z'} once they are added). */
    private static final PerSecond ISO_SECONDS = new PerSecond(DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.")
            .withZone(ZoneOffset.UTC));
    private static final PerSecond NGINX_LOCAL = new PerSecond(DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ENGLISH)
            .withZone(ZoneId.systemDefault()));

    /** One line's values; pool, backend and error are null when there is none. */
    record Line(AccessRequest request, int status, long bytesIn, long bytesOut, long durationNanos, long firstByteNanos,
                String pool, String backend, long generation, int retries, String error) {}

    /** Empty when the config turns the log off. */
    private final Optional<AccessLogWriter> writer;

    private AccessLog(Optional<AccessLogWriter> writer) {
        this.writer = writer;
    }

    /** Writes the lines where {@code config} says. */
    public static AccessLog start(ProxyConfig.AccessLog config) {
        return new AccessLog(config.enabled() ? Optional.of(AccessLogWriter.start(config, AccessLogWriter.Output.CONFIGURED))
                : Optional.empty());
    }

    /**
     * Formats and queues every line as {@link #start} would and then drops it: the warm-up's requests
     * take the same path as real ones without a line in the real log.
     */
    public static AccessLog discarding(ProxyConfig.AccessLog config) {
        return new AccessLog(config.enabled() ? Optional.of(AccessLogWriter.start(config, AccessLogWriter.Output.DISCARD))
                : Optional.empty());
    }

    /** Writes the lines still queued and closes the file. */
    public void stop() {
        writer.ifPresent(AccessLogWriter::stop);
    }

    /** A request Turnout answered itself before routing: no pool, no backend. */
    void answered(AccessRequest request, int status, String error, long generation) {
        if (request != null) {
            write(new Line(request, status, 0, 0, System.nanoTime() - request.startNanos(), -1, null, null, generation, 0, error));
        }
    }

    void write(Line line) {
        if (writer.isPresent()) {
            writer.get().offer(line.request().format() == ProxyConfig.AccessLog.Format.JSON ? json(line) : combined(line));
        }
    }

    /**
     * The line as a JSON object, written by hand: a Jackson generator per line cost more than the rest of
     * the line. Strings are escaped as Jackson does (quote, backslash, and control characters; nothing else).
     */
    static String json(Line line) {
        AccessRequest r = line.request();
        StringBuilder b = new StringBuilder(384);
        b.append("{\"time\":\"").append(isoMillis(System.currentTimeMillis())).append('"');
        string(b, "client", r.client().toString());
        string(b, "method", r.method());
        string(b, "target", r.target());
        string(b, "protocol", r.protocol());
        b.append(",\"status\":").append(line.status());
        b.append(",\"bytesIn\":").append(line.bytesIn());
        b.append(",\"bytesOut\":").append(line.bytesOut());
        millis(b.append(",\"durationMs\":"), line.durationNanos());
        b.append(",\"firstByteMs\":");
        if (line.firstByteNanos() < 0) {
            b.append("null");
        } else {
            millis(b, line.firstByteNanos());
        }
        string(b, "pool", line.pool());
        string(b, "backend", line.backend());
        b.append(",\"generation\":").append(line.generation());
        b.append(",\"retries\":").append(line.retries());
        string(b, "requestId", r.requestId());
        string(b, "userAgent", r.userAgent());
        if (line.error() != null) {
            string(b, "error", line.error());
        }
        return b.append('}').toString();
    }

    /** {@code ,"name":"value"}, or {@code null} for no value. */
    private static void string(StringBuilder b, String name, String value) {
        b.append(",\"").append(name).append("\":");
        if (value == null) {
            b.append("null");
            return;
        }
        b.append('"');
        int plain = 0;
        while (plain < value.length() && value.charAt(plain) >= 0x20 && value.charAt(plain) != '"' && value.charAt(plain) != '\\') {
            plain++;
        }
        if (plain == value.length()) {
            // Most values need no escape: one copy, not a char at a time.
            b.append(value).append('"');
            return;
        }
        b.append(value, 0, plain);
        for (int i = plain; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20) {
                        b.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xf]);
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    /** nginx's combined format, then pool, backend, generation and duration in seconds (as nginx's $request_time). */
    static String combined(Line line) {
        AccessRequest r = line.request();
        StringBuilder b = new StringBuilder(256);
        b.append(r.client()).append(" - - [").append(NGINX_LOCAL.text(Math.floorDiv(System.currentTimeMillis(), 1000))).append("] \"");
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

    /** ISO-8601 in UTC to the millisecond, as {@code 2026-12-02T04:31:07.042Z}. */
    static String isoMillis(long epochMillis) {
        int ms = (int) Math.floorMod(epochMillis, 1000L);
        String second = ISO_SECONDS.text(Math.floorDiv(epochMillis, 1000L));
        return new StringBuilder(second.length() + 4).append(second)
                .append((char) ('0' + ms / 100)).append((char) ('0' + ms / 10 % 10)).append((char) ('0' + ms % 10)).append('Z')
                .toString();
    }

    /**
     * A formatter's text for one second, kept while lines of that second come: formatting a date cost
     * more than the rest of a line. Event loops share it; a stale read only formats the second again.
     */
    private static final class PerSecond {
        private record Second(long epochSecond, String text) {}

        private final DateTimeFormatter format;
        private volatile Second last = new Second(Long.MIN_VALUE, "");

        PerSecond(DateTimeFormatter format) {
            this.format = format;
        }

        String text(long epochSecond) {
            Second s = last;
            if (s.epochSecond() != epochSecond) {
                s = new Second(epochSecond, format.format(Instant.ofEpochSecond(epochSecond)));
                last = s;
            }
            return s.text();
        }
    }

    /**
     * Milliseconds rounded to the microsecond, as Double.toString writes them below 10^7 (12.345, 1.5, 12.0),
     * without its cost: a double's text took a tenth of a line's time.
     */
    static void millis(StringBuilder b, long nanos) {
        long micros = Math.round(nanos / 1e3);
        if (micros < 0) {
            b.append(micros / 1e3);
            return;
        }
        int fraction = (int) (micros % 1000);
        b.append(micros / 1000).append('.').append((char) ('0' + fraction / 100));
        if (fraction % 100 != 0) {
            b.append((char) ('0' + fraction / 10 % 10));
            if (fraction % 10 != 0) {
                b.append((char) ('0' + fraction % 10));
            }
        }
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
