package dev.turnout.base;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.slf4j.LoggerFactory;

/**
 * {@code logging.level} and {@code logging.format} put into logback at start and on a reload, so
 * nobody has to unpack the jar to change logback.xml. The level is the root logger's; Netty's own
 * loggers stay at WARN or above (its DEBUG output would drown Turnout's). The format swaps the
 * encoder of the {@code STDOUT} appender: {@code json} for {@link JsonLogLayout}, {@code text} for
 * the pattern logback.xml gave it.
 */
public final class LogSettings {

    /** The appender of logback.xml that writes to stdout. */
    static final String APPENDER = "STDOUT";

    private static Encoder<ILoggingEvent> textEncoder;

    private LogSettings() {}

    /**
     * Applies {@code level} ({@code debug}, {@code info}, {@code warn}, {@code error}) and
     * {@code format} ({@code text}, {@code json}); does nothing when logback is not the SLF4J backend.
     */
    public static synchronized void apply(String level, String format) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        Level root = Level.toLevel(level.toUpperCase(Locale.ROOT), Level.INFO);
        context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(root);
        context.getLogger("io.netty").setLevel(root.isGreaterOrEqual(Level.WARN) ? root : Level.WARN);
        Appender<ILoggingEvent> appender = context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender(APPENDER);
        if (!(appender instanceof OutputStreamAppender<ILoggingEvent> stdout)) {
            return;
        }
        if (textEncoder == null) {
            textEncoder = stdout.getEncoder();
        }
        if ("json".equals(format)) {
            if (!(stdout.getEncoder() instanceof LayoutWrappingEncoder<ILoggingEvent> wrapping
                    && wrapping.getLayout() instanceof JsonLogLayout)) {
                JsonLogLayout layout = new JsonLogLayout();
                layout.setContext(context);
                layout.start();
                LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
                encoder.setContext(context);
                encoder.setLayout(layout);
                encoder.setCharset(StandardCharsets.UTF_8);
                encoder.start();
                stdout.setEncoder(encoder);
            }
        } else if (stdout.getEncoder() != textEncoder) {
            stdout.setEncoder(textEncoder);
        }
    }
}
