package dev.turnout.routing;

import dev.turnout.config.ProxyConfig;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/** The one AtomicReference that holds the routing snapshot, and the only place that replaces it. */
public final class TrafficSwitch {

    /** The outcome of one flip: the snapshot before and the one now published (the same when nothing changed). */
    public record Flip(RoutingSnapshot before, RoutingSnapshot after) {
        public boolean changed() {
            return before != after;
        }
    }

    private final AtomicReference<RoutingSnapshot> current;

    private TrafficSwitch(RoutingSnapshot initial) {
        this.current = new AtomicReference<>(initial);
    }

    /**
     * Builds the first snapshot from the config, with the active pool, previous pool and generation
     * remembered from the last run when they still name pools of this config.
     */
    public static TrafficSwitch start(ProxyConfig config, String active, Optional<String> previous, long generation) {
        List<Pool> pools = config.pools().stream().map(spec -> new Pool(spec, config.upstream().keepalive())).toList();
        RoutingSnapshot probe = new RoutingSnapshot(pools, pools.get(0), Optional.empty(), generation, Optional.empty());
        Pool activePool = probe.pool(active).orElseThrow(() -> new IllegalArgumentException("no pool " + active));
        return new TrafficSwitch(new RoutingSnapshot(pools, activePool, previous.flatMap(probe::pool), generation, Optional.empty()));
    }

    /** The snapshot a new request routes with. One volatile read. */
    public RoutingSnapshot current() {
        return current.get();
    }

    /**
     * Makes {@code target} the active pool. Synchronized so that concurrent switch calls each get
     * their own generation; requests never take this lock, they only read {@link #current()}.
     */
    public synchronized Flip flipTo(Pool target, Function<Pool, Optional<RollbackWatch>> watchFor) {
        RoutingSnapshot before = current.get();
        if (before.active() == target) {
            return new Flip(before, before);
        }
        RoutingSnapshot after = before.flippedTo(target, watchFor.apply(target));
        current.set(after);
        return new Flip(before, after);
    }
}
