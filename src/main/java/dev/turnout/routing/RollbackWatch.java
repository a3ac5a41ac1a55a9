package dev.turnout.routing;

import dev.turnout.config.ProxyConfig;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * Watches a newly active pool for {@code rollback.window} after a flip and calls for a rollback
 * once its error rate passes {@code maxErrorRate} over at least {@code minRequests} requests, or
 * once it has had no healthy backend for {@code health.fall} checks. It calls at most once.
 */
public final class RollbackWatch {

    private final Pool pool;
    private final long deadlineNanos;
    private final ProxyConfig.Rollback policy;
    private final int fall;
    private final BiConsumer<RollbackWatch, String> rollback;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicBoolean tripped = new AtomicBoolean();
    private int checksWithoutHealthy;

    /** @param rollback called with this watch and the reason, once, from whichever thread saw the threshold pass */
    public RollbackWatch(Pool pool, ProxyConfig.Rollback policy, int fall, BiConsumer<RollbackWatch, String> rollback) {
        this.pool = pool;
        this.deadlineNanos = System.nanoTime() + policy.window().toNanos();
        this.policy = policy;
        this.fall = fall;
        this.rollback = rollback;
    }

    public Pool pool() {
        return pool;
    }

    /** True until the window ends or the watch has called for its rollback. */
    public boolean watching() {
        return !tripped.get() && remainingMillis() > 0;
    }

    public long remainingMillis() {
        return Math.max(0, java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }

    public long requests() {
        return requests.get();
    }

    public long errors() {
        return errors.get();
    }

    /** One finished request to the watched pool; {@code failed} for a 5xx answer or a broken response. */
    public void record(boolean failed) {
        if (tripped.get() || System.nanoTime() - deadlineNanos > 0) {
            return;
        }
        long n = requests.incrementAndGet();
        long e = failed ? errors.incrementAndGet() : errors.get();
        if (n >= policy.minRequests() && e > policy.maxErrorRate() * n) {
            trip(String.format(Locale.ROOT, "error rate %.2f over %d requests", (double) e / n, n));
        }
    }

    /** From the health checker's thread, after it checked one backend of any pool. */
    public void onHealthCheck(Backend checked) {
        if (!checked.pool().equals(pool.name()) || tripped.get() || System.nanoTime() - deadlineNanos > 0) {
            return;
        }
        if (pool.healthyCount() > 0) {
            checksWithoutHealthy = 0;
        } else if (++checksWithoutHealthy >= fall) {
            trip("no healthy backend for " + checksWithoutHealthy + " checks");
        }
    }

    private void trip(String reason) {
        if (tripped.compareAndSet(false, true)) {
            rollback.accept(this, reason);
        }
    }
}
