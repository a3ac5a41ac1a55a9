package dev.turnout.health;

import dev.turnout.config.ProxyConfig;
import dev.turnout.routing.Backend;
import dev.turnout.routing.Pool;
import dev.turnout.routing.RoutingSnapshot;
import dev.turnout.routing.TrafficSwitch;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpMethod;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Active health checks: every {@code interval}, each backend of every pool gets one GET of
 * {@code health.path}, the checks spread evenly over the interval. Runs on its own event loop,
 * never on one that carries traffic.
 */
public final class HealthChecker {

    private final EventLoop loop;
    private final HttpProbe probe;
    private final TrafficSwitch traffic;

    public HealthChecker(EventLoop loop, HttpProbe probe, TrafficSwitch traffic) {
        this.loop = loop;
        this.probe = probe;
        this.traffic = traffic;
    }

    public void start() {
        loop.execute(this::round);
    }

    /** One check of every backend, spread over the interval; the next round follows the config in force then. */
    private void round() {
        if (loop.isShuttingDown()) {
            return;
        }
        RoutingSnapshot snapshot = traffic.current();
        ProxyConfig.Health config = snapshot.config().health();
        loop.schedule(this::round, config.interval().toNanos(), TimeUnit.NANOSECONDS);
        List<Backend> backends = new ArrayList<>();
        for (Pool pool : snapshot.pools()) {
            backends.addAll(pool.backends());
        }
        long spacing = config.interval().toNanos() / Math.max(1, backends.size());
        for (int i = 0; i < backends.size(); i++) {
            Backend b = backends.get(i);
            loop.schedule(() -> check(b, config), spacing * i, TimeUnit.NANOSECONDS);
        }
    }

    private void check(Backend backend, ProxyConfig.Health config) {
        if (loop.isShuttingDown()) {
            // Turnout is stopping: a probe now would only be refused by the loop it needs.
            return;
        }
        probe.send(backend.socketAddress(), backend.address().toString(), HttpMethod.GET, config.path(), config.timeout())
                .thenAccept(r -> {
                    backend.health().record(r.passed(), r.latencyMillis(), r.failure(), config.rise(), config.fall());
                    traffic.current().watch().ifPresent(w -> w.onHealthCheck(backend));
                });
    }
}
