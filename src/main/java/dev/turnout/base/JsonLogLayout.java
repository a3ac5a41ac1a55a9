package dev.turnout.base;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * {@code logging.format: json}: one JSON object per line, for log shippers. Fields: {@code time}
 * (ISO-8601 UTC, milliseconds), {@code level}, {@code logger}, {@code thread}, {@code message};
 * with an exception {@code exceptionClass} and {@code exceptionMessage}, and, on ERROR only (a
 * bug, see docs/operations.md), {@code stackTrace}: the trace as one string, so the event stays
 * one line. WARN and INFO lines with an exception are routine failures (a backend that refused a
 * connection), whose frames say nothing an operator can act on.
 */
public final class JsonLogLayout extends LayoutBase<ILoggingEvent> {

    /** Frames kept per exception in {@code stackTrace}: enough to find the bug, not a flood. */
    static final int MAX_FRAMES = 40;

    private static final JsonFactory JSON = new JsonFactory();
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    @Override
    public String doLayout(ILoggingEvent event) {
        StringWriter out = new StringWriter(256);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("time", TIME.format(Instant.ofEpochMilli(event.getTimeStamp())));
            json.writeStringField("level", event.getLevel().toString());
            json.writeStringField("logger", event.getLoggerName());
            json.writeStringField("thread", event.getThreadName());
            json.writeStringField("message", event.getFormattedMessage());
            IThrowableProxy thrown = event.getThrowableProxy();
            if (thrown != null) {
                json.writeStringField("exceptionClass", thrown.getClassName());
                json.writeStringField("exceptionMessage", thrown.getMessage());
                if (event.getLevel().isGreaterOrEqual(Level.ERROR)) {
                    json.writeStringField("stackTrace", stackTrace(thrown));
                }
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.append(CoreConstants.LINE_SEPARATOR).toString();
    }

    /** The trace as Java prints it, causes included, each exception cut to {@link #MAX_FRAMES} frames. */
    private static String stackTrace(IThrowableProxy thrown) {
        StringBuilder trace = new StringBuilder();
        for (IThrowableProxy t = thrown; t != null; t = t.getCause()) {
            if (t != thrown) {
                trace.append("\nCaused by: ");
            }
            trace.append(t.getClassName()).append(": ").append(t.getMessage());
            StackTraceElementProxy[] frames = t.getStackTraceElementProxyArray();
            for (int i = 0; i < Math.min(frames.length, MAX_FRAMES); i++) {
                trace.append("\n\tat ").append(frames[i].getStackTraceElement());
            }
            if (frames.length > MAX_FRAMES) {
                trace.append("\n\t... ").append(frames.length - MAX_FRAMES).append(" more");
            }
        }
        return trace.toString();
    }
}
