package dev.turnout.upstream;

import io.netty.channel.EventLoop;
import dev.turnout.config.ProxyConfig;
import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.TimeUnit;

/**
 * The idle keep-alive connections of one backend, one stack per event loop. Each stack is touched
 * only by its own loop, so taking and returning a connection needs no lock. Like nginx's
 * {@code keepalive N} per worker, the limit applies per event loop.
 */
public final class IdleConnections {

    private volatile int maxPerLoop;
    private volatile long idleTimeoutNanos;
    private final ConcurrentHashMap<EventLoop, LoopStack> stacks = new ConcurrentHashMap<>();
    /** Connections to the backend open now, idle or carrying a request. */
    private final AtomicInteger open = new AtomicInteger();

    public IdleConnections(ProxyConfig.Keepalive keepalive) {
        configure(keepalive);
    }

    /** New limits, from a reload; connections already idle follow them at their next sweep or take. */
    public void configure(ProxyConfig.Keepalive keepalive) {
        this.maxPerLoop = keepalive.maxIdlePerBackend();
        this.idleTimeoutNanos = keepalive.idleTimeout().toNanos();
    }

    /** The most recently used live connection of this loop, or null. Call on {@code loop}. */
    public UpstreamConnection poll(EventLoop loop) {
        LoopStack stack = stacks.get(loop);
        return stack == null ? null : stack.poll();
    }

    /** Parks a connection whose exchange ended cleanly; false when the stack is full. */
    boolean offer(UpstreamConnection connection) {
        if (maxPerLoop == 0) {
            return false;
        }
        EventLoop loop = connection.channel().eventLoop();
        LoopStack stack = stacks.get(loop);
        if (stack == null) {
            stack = stacks.computeIfAbsent(loop, LoopStack::new);
        }
        return stack.offer(connection);
    }

    void remove(UpstreamConnection connection) {
        LoopStack stack = stacks.get(connection.channel().eventLoop());
        if (stack != null) {
            stack.remove(connection);
        }
    }

    /** Closes every idle connection, each on its own loop: used when the backend's pool is retired. */
    public void closeAll() {
        stacks.forEach((loop, stack) -> loop.execute(stack::closeAll));
    }

    /** A count for status pages; read from another thread, so it may be a moment old. */
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

    public int count() {
        int sum = 0;
        for (LoopStack stack : stacks.values()) {
            sum += stack.size;
        }
        return sum;
    }

    private final class LoopStack {
        private final EventLoop loop;
        private final ArrayDeque<UpstreamConnection> connections = new ArrayDeque<>();
        private volatile int size;
        private boolean sweepScheduled;

        LoopStack(EventLoop loop) {
            this.loop = loop;
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
            if (connections.size() >= maxPerLoop) {
                return false;
            }
            c.markIdle(System.nanoTime());
            connections.addLast(c);
            size = connections.size();
            if (!sweepScheduled) {
                sweepScheduled = true;
                loop.schedule(this::sweep, idleTimeoutNanos, TimeUnit.NANOSECONDS);
            }
            return true;
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
