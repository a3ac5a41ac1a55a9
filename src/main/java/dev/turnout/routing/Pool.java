package dev.turnout.routing;

import dev.turnout.config.HostPort;
import dev.turnout.config.ProxyConfig;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** A named set of backends picked in round-robin order. */
public final class Pool {

    private final String name;
    private final List<Backend> backends;
    private final AtomicInteger cursor = new AtomicInteger();
    private final OutcomeHistory outcomes;
    /** What the metrics keep for this pool; see {@link Backend#meters()}. */
    private Object meters;

    /**
     * A pool whose backends are taken from {@code keep} where the address matches, so their live state carries over.
     *
     * @param window {@code rollback.window}: how far back the pool's outcomes are kept
     */
    Pool(ProxyConfig.PoolSpec spec, ProxyConfig.Keepalive keepalive, Map<HostPort, Backend> keep, Duration window,
         TimeSource time) {
        this.name = spec.name();
        this.backends = spec.backends().stream()
                .map(a -> keep.containsKey(a) ? keep.get(a) : new Backend(name, a, keepalive, time))
                .toList();
        this.outcomes = new OutcomeHistory(window, time);
    }

    /** Whether a reload to {@code spec} and {@code window} can keep this pool as it is, its outcome counts included. */
    boolean sameAs(ProxyConfig.PoolSpec spec, Duration window) {
        return backends.stream().map(Backend::address).toList().equals(spec.backends()) && outcomes.span().equals(window);
    }

    public String name() {
        return name;
    }

    /** The slot of the metrics layer, as {@link Backend#meters()}. */
    public Object meters() {
        return meters;
    }

    public void meters(Object meters) {
        this.meters = meters;
    }

    public List<Backend> backends() {
        return backends;
    }

    /** Where the next request starts its walk over the backends: plain round-robin. */
    public int nextStart() {
        return (cursor.getAndIncrement() & Integer.MAX_VALUE) % backends.size();
    }

    /**
     * The first healthy backend not yet tried, walking on from {@code start}; when none is healthy,
     * the first untried one anyway (fail open: a wrong health verdict must not blackhole traffic);
     * -1 when every backend was tried. {@code tried} may be null on a request's first pick.
     */
    public int pick(int start, BitSet tried) {
        int n = backends.size();
        int fallback = -1;
        for (int k = 0; k < n; k++) {
            int i = (start + k) % n;
            if (tried != null && tried.get(i)) {
                continue;
            }
            if (backends.get(i).health().healthy()) {
                return i;
            }
            if (fallback < 0) {
                fallback = i;
            }
        }
        return fallback;
    }

    /** The outcomes of the requests routed here (preview traffic aside), for the baseline of a flip away from this pool. */
    public OutcomeHistory outcomes() {
        return outcomes;
    }

    public Backend backendAt(int index) {
        return backends.get(index);
    }

    public int healthyCount() {
        int n = 0;
        for (Backend b : backends) {
            if (b.health().healthy()) {
                n++;
            }
        }
        return n;
    }

    public int inFlight() {
        int sum = 0;
        for (Backend b : backends) {
            sum += b.inFlight();
        }
        return sum;
    }

    /** True while a drain waits for requests on any of its backends: the pool stopped being active and they have not all ended. */
    public boolean draining() {
        return runningDrain() != null;
    }

    /**
     * Its running drain, else a new one over its backends. A pool stops taking requests once, however
     * many reasons it gets (a flip away from the active pool during a graceful stop).
     */
    Drain retire(TimeSource time, Settle settle) {
        Drain running = runningDrain();
        return running != null ? running : Drain.start(backends, time, settle);
    }

    /** The pool is active again: a drain still running on it is cancelled, its requests are current traffic. */
    void reactivate() {
        backends.forEach(Backend::reactivate);
    }

    private Drain runningDrain() {
        for (Backend b : backends) {
            Drain d = b.runningDrain();
            if (d != null) {
                return d;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return name;
    }
}
