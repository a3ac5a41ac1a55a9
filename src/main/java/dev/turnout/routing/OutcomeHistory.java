package dev.turnout.routing;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A pool's recent outcomes, in a ring of time slots that covers {@code rollback.window}, so that a
 * flip away from the pool can take its error rate over that time as the new pool's baseline.
 * Written at the end of every routed request, so it neither locks nor allocates.
 */
public final class OutcomeHistory {

    /** One slot a second for the default five-minute window; a longer window gets wider slots, so memory stays fixed. */
    private static final int MAX_SLOTS = 300;

    /** Requests and errors counted over the span. */
    public record Tally(long requests, long errors) {}

    private final Duration span;
    private final long slotNanos;
    private final TimeSource time;
    private final long originNanos;
    /** The slot number each entry counts for; an entry whose number is a whole ring behind is reused. */
    private final AtomicLongArray stamps;
    private final AtomicLongArray requests;
    private final AtomicLongArray errors;

    OutcomeHistory(Duration span, TimeSource time) {
        this.span = span;
        this.time = time;
        this.originNanos = time.nanoTime();
        long spanNanos = span.toNanos();
        this.slotNanos = Math.max(TimeUnit.SECONDS.toNanos(1), ceilDiv(spanNanos, MAX_SLOTS));
        int slots = (int) ceilDiv(spanNanos, slotNanos);
        this.stamps = new AtomicLongArray(slots);
        this.requests = new AtomicLongArray(slots);
        this.errors = new AtomicLongArray(slots);
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    Duration span() {
        return span;
    }

    private long slotNow() {
        return (time.nanoTime() - originNanos) / slotNanos;
    }

    /** One finished request routed to the pool; {@code failed} as the rollback watch counts it. */
    public void record(boolean failed) {
        long slot = slotNow();
        int i = (int) (slot % stamps.length());
        long stamp = stamps.get(i);
        if (stamp < slot && stamps.compareAndSet(i, stamp, slot)) {
            // Reset in place rather than under a lock: a request another thread counts between the
            // stamp and these resets is lost, a few per slot at most, which a baseline can afford.
            requests.set(i, 0);
            errors.set(i, 0);
        }
        if (failed) {
            errors.incrementAndGet(i);
        }
        requests.incrementAndGet(i);
    }

    /** What the ring holds now: the span up to this moment, to within one slot. */
    public Tally tally() {
        long slot = slotNow();
        long r = 0;
        long e = 0;
        for (int i = 0; i < stamps.length(); i++) {
            if (slot - stamps.get(i) < stamps.length()) {
                r += requests.get(i);
                e += errors.get(i);
            }
        }
        return new Tally(r, e);
    }
}
