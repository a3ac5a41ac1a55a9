package dev.turnout.base;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * One kind of operational log line (a backend going down, a 502 Turnout answered itself, ...),
 * rate-limited so that a flood cannot fill a disk: at most {@link #LINES} lines of the kind in each
 * {@link #WINDOW}; the lines past that are counted, not written, and the next line written ends
 * with {@code (K similar lines suppressed)}. Lock-free, for event loops: the count is exact, the
 * window edge approximate under contention.
 */
public final class LogLimit {

    public static final int LINES = 10;
    public static final Duration WINDOW = Duration.ofSeconds(10);

    private final Logger log;
    private final int lines;
    private final long windowNanos;
    private final LongSupplier nanoTime;
    private final AtomicLong windowStart;
    private final AtomicInteger written = new AtomicInteger();
    private final AtomicLong suppressed = new AtomicLong();

    LogLimit(Logger log, int lines, Duration window, LongSupplier nanoTime) {
        this.log = log;
        this.lines = lines;
        this.windowNanos = window.toNanos();
        this.nanoTime = nanoTime;
        this.windowStart = new AtomicLong(nanoTime.getAsLong());
    }

    /** {@link #LINES} lines per {@link #WINDOW} through {@code log}. */
    public static LogLimit of(Logger log) {
        return new LogLimit(log, LINES, WINDOW, System::nanoTime);
    }

    public void warn(String format, Object... args) {
        if (log.isWarnEnabled()) {
            write(Level.WARN, format, args);
        }
    }

    public void info(String format, Object... args) {
        if (log.isInfoEnabled()) {
            write(Level.INFO, format, args);
        }
    }

    private void write(Level level, String format, Object[] args) {
        long now = nanoTime.getAsLong();
        long start = windowStart.get();
        if (now - start >= windowNanos && windowStart.compareAndSet(start, now)) {
            written.set(0);
        }
        if (written.incrementAndGet() > lines) {
            suppressed.incrementAndGet();
            return;
        }
        long before = suppressed.getAndSet(0);
        if (before == 0) {
            log.atLevel(level).log(format, args);
        } else {
            Object[] all = Arrays.copyOf(args, args.length + 1);
            all[args.length] = before;
            log.atLevel(level).log(format + " ({} similar lines suppressed)", all);
        }
    }
}
