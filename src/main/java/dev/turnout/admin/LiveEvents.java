package dev.turnout.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnout.metrics.PoolTotals;
import dev.turnout.metrics.TurnoutMetrics;
import dev.turnout.routing.Backend;
import dev.turnout.routing.Drain;
import dev.turnout.routing.Pool;
import dev.turnout.routing.RollbackWatch;
import dev.turnout.routing.RoutingSnapshot;
import dev.turnout.routing.TrafficSwitch;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The events of {@code GET /admin/events} that are observed once a second rather than announced:
 * a {@code stats} event per pool, the progress of drains and of the rollback watch, and the health
 * changes of backends since the second before. (Flips and gate refusals are published by
 * {@link SwitchService} the moment they happen.) Nothing is recorded per request for this: the
 * stats are differences of the metrics' totals, which are read here once a second per pool.
 *
 * <p>Runs on the admin executor only, like {@link SwitchService}'s flips; that one thread is the
 * only one to touch its fields.
 */
public final class LiveEvents {

    private static final Logger log = LoggerFactory.getLogger(LiveEvents.class);
    static final Duration TICK = Duration.ofSeconds(1);
    /** The span of the error rate and the percentiles of a {@code stats} event. */
    static final int WINDOW_SECONDS = 10;
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private record Sample(long nanos, PoolTotals totals) {}

    private record Draining(String pool, long generation, Drain drain) {}

    private final TrafficSwitch traffic;
    private final TurnoutMetrics metrics;
    private final EventStreams streams;
    /** Per pool name, the totals of the last {@link #WINDOW_SECONDS} ticks and one more, oldest first. */
    private final Map<String, ArrayDeque<Sample>> samples = new HashMap<>();
    private Map<Backend, Boolean> healthy = new IdentityHashMap<>();
    private final List<Draining> drains = new ArrayList<>();
    /** The rollback watch the last flip made, until its end is reported. */
    private RollbackWatch watched;
    /** The admin token the streams were opened with; null before the first tick. */
    private Optional<String> token;

    private LiveEvents(TrafficSwitch traffic, TurnoutMetrics metrics, EventStreams streams) {
        this.traffic = traffic;
        this.metrics = metrics;
        this.streams = streams;
    }

    /** Starts the ticks on {@code executor}, the admin executor that flips run on. */
    public static LiveEvents start(TrafficSwitch traffic, TurnoutMetrics metrics, EventStreams streams,
                                   ScheduledExecutorService executor) {
        LiveEvents live = new LiveEvents(traffic, metrics, streams);
        executor.scheduleAtFixedRate(live::tick, 0, TICK.toNanos(), TimeUnit.NANOSECONDS);
        return live;
    }

    /**
     * A flip happened: its old pool began to drain (reported now, then every tick until it ends), and
     * its rollback watch, if any, replaced the one before (whose end is reported now). On the admin executor.
     */
    void flipped(String oldPool, long generation, Drain drain, Optional<RollbackWatch> watch) {
        Draining d = new Draining(oldPool, generation, drain);
        if (!publishDrain(d)) {
            drains.add(d);
        }
        if (watched != null) {
            finish(watched);
        }
        watched = watch.orElse(null);
    }

    private void tick() {
        try {
            RoutingSnapshot snapshot = traffic.current();
            endStreamsIfTheTokenChanged(snapshot);
            // The watch and drains before the stats: a reader that prints on a pool's stats has their news of this second.
            health(snapshot);
            watch();
            drains.removeIf(this::publishDrain);
            long now = System.nanoTime();
            samples.keySet().retainAll(snapshot.poolNames());
            for (Pool pool : snapshot.pools()) {
                stats(snapshot, pool, now);
            }
        } catch (RuntimeException e) {
            // The executor would cancel a task that throws: the events would stop for good.
            log.error("live events: one tick failed", e);
        }
    }

    private void stats(RoutingSnapshot snapshot, Pool pool, long now) {
        ArrayDeque<Sample> ring = samples.computeIfAbsent(pool.name(), name -> new ArrayDeque<>());
        Sample latest = new Sample(now, metrics.poolTotals(pool.name()));
        Sample previous = ring.peekLast();
        ring.addLast(latest);
        if (ring.size() > WINDOW_SECONDS + 1) {
            ring.removeFirst();
        }
        if (!streams.any()) {
            return;
        }
        ObjectNode event = JSON.objectNode().put("pool", pool.name()).put("active", pool == snapshot.active());
        double seconds = previous == null ? 0 : (now - previous.nanos()) / 1e9;
        event.put("rps", seconds <= 0 ? 0 : round(latest.totals().since(previous.totals()).requests() / seconds));
        PoolTotals.Interval window = latest.totals().since(ring.peekFirst().totals());
        event.put("windowSeconds", Math.round((now - ring.peekFirst().nanos()) / 1e9));
        event.put("requests", window.requests());
        event.put("errorRate", round(window.errorRate()));
        putMillis(event, "p50Ms", window.quantileMillis(0.5));
        putMillis(event, "p99Ms", window.quantileMillis(0.99));
        int inFlight = 0;
        int up = 0;
        ArrayNode backends = JSON.arrayNode();
        for (Backend b : pool.backends()) {
            inFlight += b.inFlight();
            up += b.health().healthy() ? 1 : 0;
            backends.addObject().put("address", b.address().toString()).put("healthy", b.health().healthy())
                    .put("inFlight", b.inFlight()).put("draining", b.draining());
        }
        event.put("inFlight", inFlight).put("healthy", up).put("draining", pool.draining()).set("backends", backends);
        streams.publish("stats", event);
    }

    private void health(RoutingSnapshot snapshot) {
        Map<Backend, Boolean> seen = new IdentityHashMap<>();
        for (Pool pool : snapshot.pools()) {
            for (Backend b : pool.backends()) {
                boolean up = b.health().healthy();
                seen.put(b, up);
                Boolean before = healthy.get(b);
                if (before != null && before != up) {
                    streams.publish("health", JSON.objectNode().put("pool", pool.name()).put("backend", b.address().toString())
                            .put("up", up).put("error", up ? null : b.health().lastError()));
                }
            }
        }
        healthy = seen;
    }

    /** Publishes how the drain goes; true once it has ended (the event said so, with {@code done}). */
    private boolean publishDrain(Draining d) {
        // One report read: its state says whether this event was the drain's last.
        Drain.Report r = d.drain().report();
        boolean done = r.state() != Drain.State.DRAINING;
        streams.publish("drain", JSON.objectNode().put("pool", d.pool()).put("generation", d.generation())
                .put("state", r.state().name().toLowerCase(Locale.ROOT)).put("inFlightAtSwitch", r.inFlightAtStart())
                .put("remaining", r.remaining()).put("millis", r.millis()).put("done", done));
        return done;
    }

    /** Reports the watch a flip made, every tick while it watches, then once more with how it ended. */
    private void watch() {
        if (watched == null) {
            return;
        }
        if (watched.watching()) {
            streams.publish("rollback-watch", watchEvent(watched, "watching"));
        } else {
            finish(watched);
            watched = null;
        }
    }

    private void finish(RollbackWatch watch) {
        String state = watch.tripped() ? "tripped" : watch.remainingMillis() == 0 ? "passed" : "cancelled";
        streams.publish("rollback-watch", watchEvent(watch, state));
    }

    /**
     * A reload that changed {@code admin.token} ends every stream: one opened with the old token (a
     * leaked one, maybe) must not keep receiving. Its client connects again with the token it has.
     */
    private void endStreamsIfTheTokenChanged(RoutingSnapshot snapshot) {
        Optional<String> now = snapshot.config().admin().token();
        if (token != null && !token.equals(now)) {
            streams.endAll();
        }
        token = now;
    }

    private static ObjectNode watchEvent(RollbackWatch w, String state) {
        long requests = w.requests();
        return JSON.objectNode().put("pool", w.pool().name()).put("state", state).put("requests", requests)
                .put("errors", w.errors()).put("rate", round(requests == 0 ? 0 : (double) w.errors() / requests))
                .put("baselineErrorRate", round(w.baseline())).put("threshold", round(w.threshold()))
                .put("erroringClients", w.erroringClients()).put("remainingMillis", w.remainingMillis());
    }

    private static void putMillis(ObjectNode event, String field, double millis) {
        if (Double.isNaN(millis)) {
            event.putNull(field);
        } else {
            event.put(field, round(millis));
        }
    }

    /** Three decimals: enough for a rate or a millisecond, and short on the wire. */
    private static double round(double value) {
        return Math.round(value * 1000) / 1000.0;
    }
}
