package dev.turnout.routing;

import dev.turnout.config.HostPort;
import dev.turnout.config.ProxyConfig;
import dev.turnout.upstream.IdleConnections;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One origin server of one pool. The snapshot points at it; its live state (in-flight requests,
 * idle pooled connections, health) lives here so that a new snapshot can keep using the same backend.
 */
public final class Backend {

    private final String pool;
    private final HostPort address;
    private final InetSocketAddress socketAddress;
    private final String label;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final IdleConnections idle;
    private final BackendHealth health = new BackendHealth();
    private volatile boolean removed;

    Backend(String pool, HostPort address, ProxyConfig.Keepalive keepalive) {
        this.pool = pool;
        this.address = address;
        this.socketAddress = address.toUnresolvedUnlessLiteral();
        this.label = address.toString();
        this.idle = new IdleConnections(keepalive);
    }

    public String pool() {
        return pool;
    }

    public HostPort address() {
        return address;
    }

    public InetSocketAddress socketAddress() {
        return socketAddress;
    }

    public int inFlight() {
        return inFlight.get();
    }

    public void requestStarted() {
        inFlight.incrementAndGet();
    }

    public void requestEnded() {
        inFlight.decrementAndGet();
    }

    /** True once a reload took this backend out of every pool: its connections close as their requests end. */
    public boolean removed() {
        return removed;
    }

    public void remove() {
        removed = true;
        idle.closeAll();
    }

    public BackendHealth health() {
        return health;
    }

    public IdleConnections idle() {
        return idle;
    }

    @Override
    public String toString() {
        return label;
    }
}
