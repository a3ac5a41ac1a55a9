package dev.turnout.routing;

import dev.turnout.config.HostPort;
import dev.turnout.config.ProxyConfig;
import dev.turnout.upstream.IdleConnections;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
    /** The tunnels open here, each also counted in {@link #inFlight}; a set, because a retirement must reach each. */
    private final Set<OpenTunnel> tunnels = ConcurrentHashMap.newKeySet();
    private final IdleConnections idle;
    private final BackendHealth health;
    /**
     * The last drain of this backend, kept after it ended: set when the backend stopped serving (its
     * pool stopped being active, a reload removed it, Turnout is stopping), null while it serves.
     * Written on the admin side only, under the lock of {@link TrafficSwitch}.
     */
    private volatile Drain drain;
    /** What the metrics keep for this backend (its meters), so that a request does not look them up; see {@link #meters()}. */
    private Object meters;

    Backend(String pool, HostPort address, ProxyConfig.Keepalive keepalive, TimeSource time) {
        this.pool = pool;
        this.address = address;
        this.socketAddress = address.toUnresolvedUnlessLiteral();
        this.label = address.toString();
        this.idle = new IdleConnections(keepalive);
        this.health = new BackendHealth(time, "backend " + label + " of pool " + pool);
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

    /**
     * The slot of the metrics layer, which routing does not know: it sets its meters here the first time
     * this backend serves. Unsynchronized: what it holds is immutable, and a racing reader looks them up.
     */
    public Object meters() {
        return meters;
    }

    public void meters(Object meters) {
        this.meters = meters;
    }

    public int inFlight() {
        return inFlight.get();
    }

    public void requestStarted() {
        inFlight.incrementAndGet();
    }

    /** The end of a request, on its event loop: only the last one of a draining backend pays for more than the decrement. */
    public void requestEnded() {
        if (inFlight.decrementAndGet() == 0) {
            Drain d = drain;
            if (d != null) {
                d.check();
            }
        }
    }

    /** Tunnels open here now, for status pages and the switch answer; each is one of {@link #inFlight}. */
    public int tunnels() {
        return tunnels.size();
    }

    /**
     * A request in flight here became a tunnel. It hears of the backend's retirement even when that
     * races the opening: the set is written before the drain is read, and a retirement sets the
     * drain before it reads the set (see {@link #retire}).
     */
    public void tunnelOpened(OpenTunnel tunnel) {
        tunnels.add(tunnel);
        if (drain != null) {
            tunnel.retired();
        }
    }

    /** The tunnel ended; its request stops counting as in flight separately, as any request's does. */
    public void tunnelClosed(OpenTunnel tunnel) {
        tunnels.remove(tunnel);
    }

    /**
     * Whether a connection that finished a request here must close instead of going back to the idle
     * pool: the backend stopped serving, and its connections go as their requests end. Read at the
     * end of every request, after its in-flight decrement: the last request of a drain closes its
     * connection too.
     */
    public boolean retired() {
        return drain != null;
    }

    /** True while a drain waits for this backend's requests. */
    public boolean draining() {
        return runningDrain() != null;
    }

    /** The drain waiting here, or null. */
    Drain runningDrain() {
        Drain d = drain;
        return d != null && d.live() ? d : null;
    }

    /** From {@link Drain#start}: connections close from now on, the idle ones at once. */
    void retire(Drain by) {
        drain = by;
        idle.closeAll();
        tunnels.forEach(OpenTunnel::retired);
    }

    /** Its pool is active again: a drain still waiting here is cancelled, and connections are pooled again. */
    void reactivate() {
        Drain d = drain;
        drain = null;
        if (d != null) {
            d.cancel();
            tunnels.forEach(OpenTunnel::reactivated);
        }
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
