package dev.turnout.routing;

import dev.turnout.config.ProxyConfig;
import dev.turnout.config.HostPort;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;

/** The one AtomicReference that holds the routing snapshot, and the only place that replaces it. */
public final class TrafficSwitch {

    /**
     * The outcome of one flip: the snapshot before and the one now published (the same when nothing
     * changed), and the drain of the pool that stopped being active (empty when nothing changed).
     */
    public record Flip(RoutingSnapshot before, RoutingSnapshot after, Optional<Drain> drain) {
        public boolean changed() {
            return before != after;
        }
    }

    private final AtomicReference<RoutingSnapshot> current;
    private final TimeSource time;
    private final Settle settle;

    private TrafficSwitch(RoutingSnapshot initial, TimeSource time, Settle settle) {
        this.current = new AtomicReference<>(initial);
        this.time = time;
        this.settle = settle;
    }

    /**
     * Builds the first snapshot from the config, with the active pool, previous pool and generation
     * remembered from the last run when they still name pools of this config.
     */
    public static TrafficSwitch start(ProxyConfig config, String active, Optional<String> previous, long generation) {
        return start(config, active, previous, generation, TimeSource.SYSTEM, Settle.IMMEDIATELY);
    }

    /**
     * As {@link #start(ProxyConfig, String, Optional, long)}, with the time the pools, drains and
     * watches read, and what tells a drain that the requests routed before it are counted.
     */
    public static TrafficSwitch start(ProxyConfig config, String active, Optional<String> previous, long generation,
                                      TimeSource time, Settle settle) {
        List<Pool> pools = config.pools().stream().map(spec -> new Pool(spec, config.upstream().keepalive(), Map.of(),
                config.rollback().window(), time)).toList();
        Pool activePool = RoutingSnapshot.named(pools, active).orElseThrow(() -> new IllegalArgumentException("no pool " + active));
        Optional<Pool> previousPool = previous.flatMap(name -> RoutingSnapshot.named(pools, name));
        return new TrafficSwitch(new RoutingSnapshot(pools, activePool, previousPool, generation, Optional.empty(), config), time,
                settle);
    }

    /** The time routing reads, for the rollback watches the admin side makes. */
    public TimeSource time() {
        return time;
    }

    /** The outcome of a reload: the snapshots before and after, and the backends no pool has any more. */
    public record Reload(RoutingSnapshot before, RoutingSnapshot after, List<Backend> removed) {}

    /**
     * Publishes {@code next} with the pools it describes, keeping the active pool, the previous pool
     * (when it still exists) and the generation. Backends that stay keep their live state: in-flight
     * counts, idle connections, health and a running drain. A pool keeps its outcome history unless
     * its backends or {@code rollback.window} changed: its old counts would describe other servers or
     * another span. Removed backends drain: their connections close as their requests end.
     *
     * @throws IllegalArgumentException when {@code next} has no pool of the active pool's name
     */
    public synchronized Reload reload(ProxyConfig next) {
        RoutingSnapshot before = current.get();
        List<Pool> pools = new ArrayList<>();
        Set<Backend> kept = new HashSet<>();
        for (ProxyConfig.PoolSpec spec : next.pools()) {
            Optional<Pool> old = before.pool(spec.name());
            Pool pool;
            if (old.isPresent() && old.get().sameAs(spec, next.rollback().window())) {
                pool = old.get();
            } else {
                Map<HostPort, Backend> reusable = new HashMap<>();
                old.ifPresent(p -> p.backends().forEach(b -> reusable.put(b.address(), b)));
                pool = new Pool(spec, next.upstream().keepalive(), reusable, next.rollback().window(), time);
            }
            kept.addAll(pool.backends());
            pools.add(pool);
        }
        Pool active = RoutingSnapshot.named(pools, before.active().name()).orElseThrow(() -> new IllegalArgumentException(
                "pools." + before.active().name() + ": the active pool cannot be removed (switch away from it first)"));
        Optional<Pool> previous = before.previous().flatMap(p -> RoutingSnapshot.named(pools, p.name()));
        // Only a reload that will be published may touch the live backends.
        kept.forEach(b -> b.idle().configure(next.upstream().keepalive()));
        RoutingSnapshot after = new RoutingSnapshot(pools, active, previous, before.generation(), before.watch(), next);
        current.set(after);
        List<Backend> removed = before.pools().stream().flatMap(p -> p.backends().stream()).filter(b -> !kept.contains(b)).toList();
        // Those of a draining pool are counted by its drain already: a backend reports to one drain.
        Drain.start(removed.stream().filter(b -> !b.draining()).toList(), time, settle);
        return new Reload(before, after, removed);
    }

    /** The snapshot a new request routes with. One volatile read. */
    public RoutingSnapshot current() {
        return current.get();
    }

    /**
     * Makes the pool named {@code target} active. By name, because a reload may have rebuilt the pool
     * since the caller looked at it. Synchronized so that concurrent switch calls each get their own
     * generation; requests never take this lock, they only read {@link #current()}.
     *
     * @param watchFor the watch for the flip from the active pool to the target, made under the lock
     *                 so that it reads the old pool's outcomes up to the very flip
     * @throws IllegalArgumentException when a reload removed that pool meanwhile
     */
    public synchronized Flip flipTo(String targetName, BiFunction<Pool, Pool, Optional<RollbackWatch>> watchFor) {
        RoutingSnapshot before = current.get();
        Pool target = before.pool(targetName).orElseThrow(() -> new IllegalArgumentException(
                "pool " + targetName + " was removed by a reload"));
        if (before.active() == target) {
            return new Flip(before, before, Optional.empty());
        }
        RoutingSnapshot after = before.flippedTo(target, watchFor.apply(before.active(), target));
        target.reactivate();
        current.set(after);
        return new Flip(before, after, Optional.of(before.active().retire(time, settle)));
    }

    /**
     * Applies a flip the cluster committed at {@code generation} (cluster mode): as {@link #flipTo(String,
     * BiFunction)}, but at the cluster's generation rather than the next one. A replica that missed
     * flips applies the latest, whatever lay between; one whose own flip lost to another of the same
     * generation takes the other. When {@code targetName} is active already only the generation (and
     * the previous pool) move, and nothing drains.
     *
     * @throws IllegalArgumentException when a reload removed that pool, or the generation is older than this one
     */
    public synchronized Flip applyCommitted(String targetName, Optional<String> previousName, long generation,
                                            BiFunction<Pool, Pool, Optional<RollbackWatch>> watchFor) {
        RoutingSnapshot before = current.get();
        if (generation < before.generation()) {
            throw new IllegalArgumentException("generation " + generation + " is older than this replica's " + before.generation());
        }
        Pool target = before.pool(targetName).orElseThrow(() -> new IllegalArgumentException("no pool " + targetName));
        if (before.active() == target) {
            RoutingSnapshot after = before.atGeneration(generation, previousName.flatMap(before::pool));
            current.set(after);
            return new Flip(before, after, Optional.empty());
        }
        RoutingSnapshot after = before.flippedTo(target, watchFor.apply(before.active(), target), generation);
        target.reactivate();
        current.set(after);
        return new Flip(before, after, Optional.of(before.active().retire(time, settle)));
    }

    /**
     * A graceful stop: every pool, the active one included, stops taking connections back. One drain
     * per pool: a running one as it is, a new one for each other pool (preview traffic counts too).
     */
    public synchronized List<Drain> retireAll() {
        return current.get().pools().stream().map(p -> p.retire(time, settle)).toList();
    }
}
