package dev.turnout.routing;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/** Time that moves only when a test says so. */
final class FakeTime implements TimeSource {

    static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    /** Far from zero, and about to wrap, as {@link System#nanoTime()} may be: only differences may count. */
    private final AtomicLong nanos = new AtomicLong(Long.MAX_VALUE - 1_000_000_000L);

    void advance(Duration by) {
        nanos.addAndGet(by.toNanos());
    }

    @Override
    public long nanoTime() {
        return nanos.get();
    }

    @Override
    public Instant now() {
        return START.plusNanos(nanos.get() - (Long.MAX_VALUE - 1_000_000_000L));
    }
}
