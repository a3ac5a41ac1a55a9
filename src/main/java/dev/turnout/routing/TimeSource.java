package dev.turnout.routing;

import java.time.Instant;

/**
 * The time routing reads: monotonic nanoseconds for rollback windows, outcome slots and drains,
 * and the wall clock for what the status page shows. An interface so that tests move time by hand
 * instead of sleeping through a window.
 */
public interface TimeSource {

    TimeSource SYSTEM = new TimeSource() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public Instant now() {
            return Instant.now();
        }
    };

    /** As {@link System#nanoTime()}: only differences mean anything. */
    long nanoTime();

    Instant now();
}
