package dev.turnout.routing;

import dev.turnout.config.ProxyConfig;
import java.util.List;
import java.util.Optional;

/**
 * Everything a request needs to route, as one immutable value. A flip publishes a new snapshot;
 * a request reads exactly one and keeps it, so it can never see half a switch.
 *
 * @param previous the pool that was active before the last flip, empty before the first flip
 * @param watch    the automatic-rollback watch on the active pool, while there is one
 * @param config   the configuration in force: a request takes its timeouts and limits from here too,
 *                 so a reload reaches new requests at the same instant as the pools it brings
 */
public record RoutingSnapshot(List<Pool> pools, Pool active, Optional<Pool> previous, long generation,
                              Optional<RollbackWatch> watch, ProxyConfig config) {

    public RoutingSnapshot {
        pools = List.copyOf(pools);
    }

    public Optional<Pool> pool(String name) {
        return named(pools, name);
    }

    static Optional<Pool> named(List<Pool> pools, String name) {
        for (Pool p : pools) {
            if (p.name().equals(name)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    public List<String> poolNames() {
        return pools.stream().map(Pool::name).toList();
    }

    RoutingSnapshot flippedTo(Pool target, Optional<RollbackWatch> newWatch) {
        return flippedTo(target, newWatch, generation + 1);
    }

    RoutingSnapshot flippedTo(Pool target, Optional<RollbackWatch> newWatch, long newGeneration) {
        return new RoutingSnapshot(pools, target, Optional.of(active), newGeneration, newWatch, config);
    }

    /** The same routing at a later generation: the cluster flipped away and back while this replica missed it. */
    RoutingSnapshot atGeneration(long newGeneration, Optional<Pool> newPrevious) {
        return new RoutingSnapshot(pools, active, newPrevious, newGeneration, Optional.empty(), config);
    }
}
