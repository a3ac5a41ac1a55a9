package dev.turnout.proxy;

import dev.turnout.routing.Pool;
import java.util.BitSet;

/**
 * The backends one exchange tries, in order, within its pool: which were tried, why each failed,
 * and whether another may still be. Never across pools: a request stays with the pool it was
 * routed to.
 */
final class Attempts {

    private final Pool pool;
    private final int start;
    private final int maxAttempts;
    private int tries;
    /** Only a retry pays for the set; a first try is remembered by its attempt alone. */
    private BitSet tried;
    private Attempt current;
    private StringBuilder failures;

    Attempts(Pool pool, int maxAttempts) {
        this.pool = pool;
        this.start = pool.nextStart();
        this.maxAttempts = maxAttempts;
    }

    /** Starts an attempt on the next healthy untried backend; it counts as in flight on it until it ends. */
    Attempt next() {
        if (current != null && tried == null) {
            tried = new BitSet(pool.backends().size());
            tried.set(current.index());
        }
        int index = pool.pick(start, tried);
        if (tried != null) {
            tried.set(index);
        }
        tries++;
        current = new Attempt(pool.backendAt(index), index);
        return current;
    }

    /** Whether another backend may still be tried: attempts left and a backend not tried yet. */
    boolean mayTryAnother() {
        return tries < maxAttempts && pool.backends().size() > triedCount();
    }

    /** Every backend of a pool of several was tried. */
    boolean triedAll() {
        return triedCount() == pool.backends().size() && pool.backends().size() > 1;
    }

    int count() {
        return tries;
    }

    /** Notes why the current attempt failed, for an answer that names every failure. */
    void failed(String detail) {
        if (failures == null) {
            failures = new StringBuilder();
        } else {
            failures.append("; ");
        }
        failures.append(current.backend()).append(": ").append(detail);
    }

    String failures() {
        return failures == null ? "" : failures.toString();
    }

    private int triedCount() {
        return tried == null ? 1 : tried.cardinality();
    }
}
