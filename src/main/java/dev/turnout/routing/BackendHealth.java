package dev.turnout.routing;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The health of one backend. Requests read {@link #healthy()} (one volatile read); the active
 * checker, on its own thread, is the only writer of the counters. A passive mark from an event
 * loop (connect refused, reset before answering) takes the backend out at once and makes the
 * checker count {@code rise} passes again before it comes back.
 */
public final class BackendHealth {

    /** What the last active check saw, for the status page. */
    public record LastCheck(Instant at, long latencyMillis, String error) {}

    private final TimeSource time;
    private volatile boolean healthy = true;
    private final AtomicBoolean passivelyMarked = new AtomicBoolean();
    private volatile String passiveReason;
    private volatile int passes;
    private volatile int failures;
    private volatile LastCheck last;

    BackendHealth(TimeSource time) {
        this.time = time;
    }

    /** True until checks say otherwise: a restart must not blackhole traffic before the first check. */
    public boolean healthy() {
        return healthy;
    }

    public int consecutivePasses() {
        return passes;
    }

    public int consecutiveFailures() {
        return failures;
    }

    /** Null before the first check. */
    public LastCheck lastCheck() {
        return last;
    }

    /** What went wrong last: the last active check's error, else why live traffic took the backend out, else null. */
    public String lastError() {
        LastCheck check = last;
        return check != null && check.error() != null ? check.error() : passiveReason;
    }

    /** From any event loop: live traffic saw this backend fail in a way that says it is down. */
    public void markDown(String reason) {
        passiveReason = reason;
        healthy = false;
        passivelyMarked.set(true);
    }

    /** From the checker's thread only: one active check's outcome, with the thresholds in force. */
    public void record(boolean pass, long latencyMillis, String error, int rise, int fall) {
        if (passivelyMarked.getAndSet(false)) {
            passes = 0;
            healthy = false;
        }
        last = new LastCheck(time.now(), latencyMillis, error);
        if (pass) {
            passes = passes + 1;
            failures = 0;
            if (passes >= rise) {
                healthy = true;
                passiveReason = null;
            }
        } else {
            failures = failures + 1;
            passes = 0;
            if (failures >= fall) {
                healthy = false;
            }
        }
    }
}
