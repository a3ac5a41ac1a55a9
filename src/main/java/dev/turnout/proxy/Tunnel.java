package dev.turnout.proxy;

import dev.turnout.routing.Backend;
import dev.turnout.routing.OpenTunnel;
import dev.turnout.routing.TrafficSwitch;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The byte tunnel an exchange became when its backend switched protocols (101): which ways still
 * carry bytes, when the last byte passed (for {@code limits.tunnelIdleTimeout}), and the timer that
 * ends it {@code drain.closeTunnels} after its backend was retired. The exchange stays in flight on
 * its backend for as long as the tunnel lasts, so the drain of its pool waits for it; the exchange
 * ends it, through its one end, which calls {@link #close}. Touched on the exchange's event loop
 * only, but for the calls of {@link OpenTunnel}, which it hands to that loop.
 */
final class Tunnel implements OpenTunnel {

    /** Which ways bytes still pass: a FIN from one side shuts one way, passed on as a half-close. */
    enum Ways {
        BOTH,
        /** The client sent its FIN; the backend may still answer. */
        TO_CLIENT,
        /** The backend sent its FIN; the client may still send. */
        TO_BACKEND,
        CLOSED
    }

    /** The access log's error codes of the tunnels Turnout closes: silent for limits.tunnelIdleTimeout, or past drain.closeTunnels. */
    static final String IDLE = "tunnel_idle";
    static final String RETIRED = "tunnel_retired";

    private final ProxyExchange exchange;
    private final Backend backend;
    private final EventLoop loop;
    private final TrafficSwitch traffic;
    private Ways ways = Ways.BOTH;
    private long lastBytesNanos = System.nanoTime();
    /** Runs drain.closeTunnels after the backend was retired; null while it serves, or with the key off. */
    private ScheduledFuture<?> closeForDrain;

    Tunnel(ProxyExchange exchange, Backend backend, EventLoop loop, TrafficSwitch traffic) {
        this.exchange = exchange;
        this.backend = backend;
        this.loop = loop;
        this.traffic = traffic;
    }

    /** Counts the tunnel on its backend, which from now on tells it when it retires. */
    void open() {
        backend.tunnelOpened(this);
    }

    void bytesPassed() {
        lastBytesNanos = System.nanoTime();
    }

    /** Nanoseconds without a byte either way. */
    long silentFor(long now) {
        return now - lastBytesNanos;
    }

    /** The client sent its FIN; returns whether the tunnel is now shut both ways. */
    boolean clientFinished() {
        ways = ways == Ways.TO_BACKEND ? Ways.CLOSED : Ways.TO_CLIENT;
        return ways == Ways.CLOSED;
    }

    /** The backend sent its FIN; returns whether the tunnel is now shut both ways. */
    boolean backendFinished() {
        ways = ways == Ways.TO_CLIENT ? Ways.CLOSED : Ways.TO_BACKEND;
        return ways == Ways.CLOSED;
    }

    /** Whether the client's bytes may still go to the backend. */
    boolean toBackend() {
        return ways == Ways.BOTH || ways == Ways.TO_BACKEND;
    }

    /** From the exchange's end: the backend stops counting the tunnel, and its timer stops. */
    void close() {
        ways = Ways.CLOSED;
        backend.tunnelClosed(this);
        cancelTimer();
    }

    @Override
    public void retired() {
        // The duration in force when the pool retires: a reload meanwhile may have changed it.
        Duration after = traffic.current().config().drain().closeTunnels().orElse(null);
        if (after != null) {
            loop.execute(() -> {
                if (ways != Ways.CLOSED && closeForDrain == null) {
                    closeForDrain = loop.schedule(() -> exchange.closeTunnel(RETIRED), after.toNanos(),
                            TimeUnit.NANOSECONDS);
                }
            });
        }
    }

    @Override
    public void reactivated() {
        loop.execute(this::cancelTimer);
    }

    private void cancelTimer() {
        if (closeForDrain != null) {
            closeForDrain.cancel(false);
            closeForDrain = null;
        }
    }
}
