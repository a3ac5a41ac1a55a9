package dev.turnout.proxy;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One timer for a client connection and everything on it: the connection's own timeouts and those
 * of its exchanges. The tick re-arms it with the time until the next deadline; an exchange whose
 * deadline comes sooner pulls it forward. Confined to the connection's event loop.
 */
final class ConnectionClock {

    private final EventExecutor executor;
    private final Runnable tick;
    private ScheduledFuture<?> next;
    private long dueNanos;

    ConnectionClock(EventExecutor executor, Runnable tick) {
        this.executor = executor;
        this.tick = tick;
    }

    /** The tick runs in {@code nanos}. */
    void schedule(long nanos) {
        dueNanos = System.nanoTime() + nanos;
        next = executor.schedule(tick, nanos, TimeUnit.NANOSECONDS);
    }

    /** The tick runs within {@code nanos}: sooner than planned, if need be. */
    void tickWithin(long nanos) {
        long due = System.nanoTime() + nanos;
        if (next != null && due - dueNanos < 0) {
            next.cancel(false);
            schedule(nanos);
        }
    }

    void stop() {
        if (next != null) {
            next.cancel(false);
        }
    }
}
