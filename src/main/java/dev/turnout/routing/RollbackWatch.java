package dev.turnout.routing;

import dev.turnout.config.ProxyConfig;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.BiConsumer;

/**
 * Watches a newly active pool for {@code rollback.window} after a flip and calls for a rollback
 * once, after at least {@code minRequests} requests with errors from at least {@code minClients}
 * client addresses, its errors are more than {@code baseline + maxErrorRate} of its requests, the
 * baseline being the old pool's error rate over the window before the flip; or, unless the flip
 * was forced, once it has had no healthy backend for {@code health.fall} checks. It calls at most once.
 */
public final class RollbackWatch {

    private final Pool pool;
    private final TimeSource time;
    private final long deadlineNanos;
    private final ProxyConfig.Rollback policy;
    private final double baseline;
    private final double threshold;
    private final boolean forced;
    private final int fall;
    private final BiConsumer<RollbackWatch, String> rollback;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    /** Distinct client addresses that saw an error, filled front to back; no more are needed than minClients. */
    private final AtomicReferenceArray<CharSequence> erroring;
    private final AtomicBoolean tripped = new AtomicBoolean();
    private int checksWithoutHealthy;

    /**
     * @param before   the old pool's outcomes over the window up to the flip; fewer than minRequests
     *                 of them say nothing about it, and make a baseline of 0
     * @param forced   a forced flip overrode the health verdict, so only the answers judge the pool
     * @param rollback called with this watch and the reason, once, from whichever thread saw the threshold pass
     * @param time     where the window is measured
     */
    public RollbackWatch(Pool pool, OutcomeHistory.Tally before, boolean forced, ProxyConfig.Rollback policy, int fall,
                         BiConsumer<RollbackWatch, String> rollback, TimeSource time) {
        this.pool = pool;
        this.time = time;
        this.deadlineNanos = time.nanoTime() + policy.window().toNanos();
        this.policy = policy;
        this.baseline = before.requests() >= policy.minRequests() ? (double) before.errors() / before.requests() : 0;
        this.threshold = baseline + policy.maxErrorRate();
        this.forced = forced;
        this.fall = fall;
        this.rollback = rollback;
        this.erroring = new AtomicReferenceArray<>(policy.minClients());
    }

    public Pool pool() {
        return pool;
    }

    /** True until the window ends or the watch has called for its rollback. */
    public boolean watching() {
        return !tripped.get() && remainingMillis() > 0;
    }

    /** True once it called for its rollback. */
    public boolean tripped() {
        return tripped.get();
    }

    /** The error rate above which it calls for a rollback: the baseline plus {@code maxErrorRate}. */
    public double threshold() {
        return threshold;
    }

    public long remainingMillis() {
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - time.nanoTime()));
    }

    public long requests() {
        return requests.get();
    }

    public long errors() {
        return errors.get();
    }

    /** The old pool's error rate the new one is judged against. */
    public double baseline() {
        return baseline;
    }

    /** Distinct client addresses that saw an error, counted up to {@code minClients}. */
    public int erroringClients() {
        int n = 0;
        while (n < erroring.length() && erroring.get(n) != null) {
            n++;
        }
        return n;
    }

    /**
     * One finished request to the watched pool; {@code failed} for a 5xx answer or a broken response.
     * Lock-free, and allocation-free for a success: it runs at the end of every request.
     *
     * @param client the client's address as {@code trustedProxies} resolves it
     */
    public void record(boolean failed, CharSequence client) {
        if (tripped.get() || time.nanoTime() - deadlineNanos > 0) {
            return;
        }
        long n = requests.incrementAndGet();
        long e;
        if (failed) {
            e = errors.incrementAndGet();
            noteErroring(client);
        } else {
            e = errors.get();
        }
        // The slots fill front to back, so the last one taken means minClients addresses.
        if (n >= policy.minRequests() && e > threshold * n && erroring.get(erroring.length() - 1) != null) {
            trip(String.format(Locale.ROOT, "error rate %.2f over %d requests", (double) e / n, n)
                    + (baseline > 0 ? String.format(Locale.ROOT, ", above %.2f before the flip", baseline) : ""));
        }
    }

    private void noteErroring(CharSequence client) {
        for (int i = 0; i < erroring.length(); i++) {
            if (erroring.get(i) == null && erroring.compareAndSet(i, null, client)) {
                return;
            }
            // Taken, by now at least: by this client, maybe a moment ago on another thread, or by another.
            if (CharSequence.compare(erroring.get(i), client) == 0) {
                return;
            }
        }
    }

    /** From the health checker's thread, after it checked one backend of any pool. */
    public void onHealthCheck(Backend checked) {
        if (forced || !checked.pool().equals(pool.name()) || tripped.get() || time.nanoTime() - deadlineNanos > 0) {
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
