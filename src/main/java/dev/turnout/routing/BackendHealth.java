package dev.turnout.routing;

import dev.turnout.base.LogLimit;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.LoggerFactory;

/**
 * The health of one backend. Requests read {@link #healthy()} (one volatile read); the active
 * checker, on its own thread, is the only writer of the counters. A passive mark from an event
 * loop (connect refused, reset before answering) takes the backend out at once and makes the
 * checker count {@code rise} passes again before it comes back. Each change, down or up again, is
 * one WARN line with the error, rate-limited (a flapping pool cannot flood the log).
 */
public final class BackendHealth {

    /** What the last active check saw, for the status page. */
    public record LastCheck(Instant at, long latencyMillis, String error) {}

    /**
     * A limit per backend: the checker already spaces a backend's changes (it comes back only after
     * {@code rise} checks), so this only guards against a backend that flaps faster than anyone reads.
     */
    private final LogLimit transitions = LogLimit.of(LoggerFactory.getLogger(BackendHealth.class));

    private final TimeSource time;
    /** "backend 127.0.0.1:8001 of pool blue", for the log. */
    private final String name;
    /** Written by the checker and by event loops; getAndSet finds the one write that changed it, for the log line. */
    private final AtomicBoolean healthy = new AtomicBoolean(true);
    private final AtomicBoolean passivelyMarked = new AtomicBoolean();
    private volatile String passiveReason;
    /** Why it last went down, for the line that says it is up again. */
    private volatile String downReason;
    private volatile int passes;
    private volatile int failures;
    private volatile LastCheck last;

    BackendHealth(TimeSource time, String name) {
        this.time = time;
        this.name = name;
    }

    /** True until checks say otherwise: a restart must not blackhole traffic before the first check. */
    public boolean healthy() {
        return healthy.get();
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
        if (healthy.getAndSet(false)) {
            downReason = reason;
            transitions.warn("{} is down: {} (seen by live traffic; out until health checks pass again)", name, reason);
        }
        passivelyMarked.set(true);
    }

    /** From the checker's thread only: one active check's outcome, with the thresholds in force. */
    public void record(boolean pass, long latencyMillis, String error, int rise, int fall) {
        if (passivelyMarked.getAndSet(false)) {
            passes = 0;
            healthy.set(false);
        }
        last = new LastCheck(time.now(), latencyMillis, error);
        if (pass) {
            passes = passes + 1;
            failures = 0;
            if (passes >= rise) {
                passiveReason = null;
                if (!healthy.getAndSet(true)) {
                    transitions.warn("{} is up again: {} health check(s) passed (it was down: {})", name, passes, downReason);
                }
            }
        } else {
            failures = failures + 1;
            passes = 0;
            if (failures >= fall && healthy.getAndSet(false)) {
                downReason = error;
                transitions.warn("{} is down: {} ({} health check(s) failed in a row)", name, error, failures);
            }
        }
    }
}
