package dev.turnout.routing;

import dev.turnout.config.ProxyConfig;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** A named set of backends picked in round-robin order. */
public final class Pool {

    private final String name;
    private final List<Backend> backends;
    private final AtomicInteger cursor = new AtomicInteger();

    Pool(ProxyConfig.PoolSpec spec, ProxyConfig.Keepalive keepalive) {
        this.name = spec.name();
        this.backends = spec.backends().stream().map(a -> new Backend(name, a, keepalive)).toList();
    }

    public String name() {
        return name;
    }

    public List<Backend> backends() {
        return backends;
    }

    /**
     * Where this request starts in round-robin order. A request that must try again (its backend
     * refused the connection) walks on from there with {@link #backendAt(int)}.
     */
    public int nextStart() {
        return cursor.getAndIncrement() & Integer.MAX_VALUE;
    }

    public Backend backendAt(int index) {
        return backends.get(index % backends.size());
    }

    public int inFlight() {
        int sum = 0;
        for (Backend b : backends) {
            sum += b.inFlight();
        }
        return sum;
    }

    @Override
    public String toString() {
        return name;
    }
}
