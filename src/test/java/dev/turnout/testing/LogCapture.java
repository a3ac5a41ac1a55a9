package dev.turnout.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Keeps every ERROR logged by Turnout or Netty, so a test can assert that nothing went wrong unseen,
 * and every line at INFO and above as "LEVEL Logger: message", for tests of what an operator reads.
 */
public final class LogCapture extends AppenderBase<ILoggingEvent> {

    private static final List<String> ERRORS = new CopyOnWriteArrayList<>();
    private static final List<String> LINES = new CopyOnWriteArrayList<>();

    public static List<String> errors() {
        return List.copyOf(ERRORS);
    }

    public static List<String> lines() {
        return List.copyOf(LINES);
    }

    public static void clear() {
        ERRORS.clear();
        LINES.clear();
    }

    @Override
    protected void append(ILoggingEvent event) {
        String logger = event.getLoggerName().substring(event.getLoggerName().lastIndexOf('.') + 1);
        LINES.add(event.getLevel() + " " + logger + ": " + event.getFormattedMessage());
        if (event.getLevel().isGreaterOrEqual(Level.ERROR)) {
            ERRORS.add(event.getLoggerName() + ": " + event.getFormattedMessage()
                    + (event.getThrowableProxy() == null ? "" : " " + event.getThrowableProxy().getClassName()
                    + ": " + event.getThrowableProxy().getMessage()));
        }
    }
}
