package dev.turnout.upstream;

import io.netty.channel.EventLoop;
import dev.turnout.config.ProxyConfig;
import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.TimeUnit;

/**
 * The idle keep-alive connections of one backend, one stack per event loop. Each stack is touched
 * only by its own loop, so taking and returning a connection needs no lock.
 *
 * <p>How many idle connections a loop keeps: with {@code maxIdlePerBackend: auto} (the default) as
 * many as that loop had busy to the backend at once within the last {@code idleTimeout} or so (the
 * peak of the current and the previous window of that length), at most {@link #CEILING}; with a
 * whole number, that many. A connection returned above the cap is closed; idle ones also close
 * after {@code idleTimeout} unused, and after {@code maxRequestsPerConnection} requests.
 */
public final class IdleConnections {

    /**
     * The most idle connections one loop keeps to one backend in the adaptive mode, whatever the
     * recent peak: a bound on the descriptors and backend workers a single burst can pin for an
     * {@code idleTimeout}. 1,024 per loop covers the 1,000-connection benchmark on one loop, and is
     * the usual soft limit of open files a backend process gets, so a backend is not held at more
     * connections than it could usually accept from one client.
     */
    public static final int CEILING = 1024;
    /** {@link #fixedCap} when the cap follows the recent peak. */
    private static final int ADAPTIVE = -1;

    private volatile int fixedCap;
    private volatile long idleTimeoutNanos;
    private final ConcurrentHashMap<EventLoop, Loop> loops = new ConcurrentHashMap<>();
    /** Connections to the backend open now, idle or carrying a request. */
    private final AtomicInteger open = new AtomicInteger();

    public IdleConnections(ProxyConfig.Keepalive keepalive) {
        configure(keepalive);
    }

    /** New limits, from a reload; connections already idle follow them at their next sweep or take. */
    public void configure(ProxyConfig.Keepalive keepalive) {
        this.fixedCap = keepalive.maxIdlePerBackend().orElse(ADAPTIVE);
        this.idleTimeoutNanos = keepalive.idleTimeout().toNanos();
    }

    /** The most recently used live connection of this loop, or null. Call on {@code loop}. */
    public UpstreamConnection poll(EventLoop loop) {
        Loop stack = loops.get(loop);
        return stack == null ? null : stack.poll();
    }

    /** The state of {@code loop} for this backend, created on first use. Call on {@code loop}. */
    Loop loop(EventLoop loop) {
        Loop stack = loops.get(loop);
        return stack != null ? stack : loops.computeIfAbsent(loop, Loop::new);
    }

    /** Parks a connection whose exchange ended cleanly; false when the loop's cap is reached. */
    boolean offer(UpstreamConnection connection) {
        return fixedCap != 0 && connection.loop().offer(connection);
    }

    /** Closes every idle connection, each on its own loop: used when the backend's pool is retired. */
    public void closeAll() {
        loops.forEach((loop, stack) -> loop.execute(stack::closeAll));
    }

    /** Connections to the backend open now, idle or busy. */
    public int open() {
        return open.get();
    }

    void opened() {
        open.incrementAndGet();
    }

    void closed() {
        open.decrementAndGet();
    }

    /** Idle connections, for status pages; read from another thread, so it may be a moment old. */
    public int count() {
        int sum = 0;
        for (Loop stack : loops.values()) {
            sum += stack.size;
        }
        return sum;
    }

    /** One loop's idle stack and the busy count whose recent peak sets its adaptive cap; touched on that loop only. */
    final class Loop {
        private final EventLoop loop;
        private final ArrayDeque<UpstreamConnection> connections = new ArrayDeque<>();
        private volatile int size;
        private boolean sweepScheduled;
        /** Connections of this loop carrying an exchange to the backend now. */
        private int busy;
        /** The most busy at once in the window that began at {@link #windowStart}, and in the one before it. */
        private int peak;
        private int previousPeak;
        private long windowStart = System.nanoTime();

        Loop(EventLoop loop) {
            this.loop = loop;
        }

        /** A connection of this loop begins carrying an exchange. */
        void busy() {
            roll(System.nanoTime());
            if (++busy > peak) {
                peak = busy;
            }
        }

        /** A connection of this loop stops carrying one (back to idle or closed). */
        void notBusy() {
            busy--;
        }

        UpstreamConnection poll() {
            long now = System.nanoTime();
            UpstreamConnection c;
            while ((c = connections.pollLast()) != null) {
                size = connections.size();
                if (c.channel().isActive() && now - c.idleSinceNanos() < idleTimeoutNanos) {
                    return c;
                }
                c.channel().close();
            }
            return null;
        }

        boolean offer(UpstreamConnection c) {
            long now = System.nanoTime();
            if (connections.size() >= cap(now)) {
                return false;
            }
            c.markIdle(now);
            connections.addLast(c);
            size = connections.size();
            if (!sweepScheduled) {
                sweepScheduled = true;
                loop.schedule(this::sweep, idleTimeoutNanos, TimeUnit.NANOSECONDS);
            }
            return true;
        }

        /** The explicit cap, or the peak busy count of the current and previous window, at most {@link #CEILING}. */
        private int cap(long now) {
            int fixed = fixedCap;
            if (fixed != ADAPTIVE) {
                return fixed;
            }
            roll(now);
            return Math.min(CEILING, Math.max(peak, previousPeak));
        }

        /** Starts a new window once the current one is idleTimeout old; after a longer quiet spell the busy count was the peak. */
        private void roll(long now) {
            long window = idleTimeoutNanos;
            long elapsed = now - windowStart;
            if (elapsed >= window) {
                previousPeak = elapsed - window >= window ? busy : peak;
                peak = busy;
                windowStart = now;
            }
        }

        void remove(UpstreamConnection c) {
            if (connections.remove(c)) {
                size = connections.size();
            }
        }

        void closeAll() {
            UpstreamConnection c;
            while ((c = connections.pollFirst()) != null) {
                c.channel().close();
            }
            size = 0;
        }

        /** Closes connections idle for idleTimeout; the oldest are at the head of the deque. */
        private void sweep() {
            long now = System.nanoTime();
            UpstreamConnection c;
            while ((c = connections.peekFirst()) != null && now - c.idleSinceNanos() >= idleTimeoutNanos) {
                connections.pollFirst();
                c.channel().close();
            }
            size = connections.size();
            if (c == null) {
                sweepScheduled = false;
            } else {
                loop.schedule(this::sweep, c.idleSinceNanos() + idleTimeoutNanos - now, TimeUnit.NANOSECONDS);
            }
        }
    }
}
