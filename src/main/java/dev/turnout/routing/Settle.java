package dev.turnout.routing;

import java.util.concurrent.CompletableFuture;

/**
 * When every request that read a snapshot before now holds its backend's in-flight count. A request
 * reads the snapshot and counts itself on its backend in one task of its event loop, so once each
 * loop has finished the task it was running, no request routed with a replaced snapshot is still
 * uncounted. A drain starts counting only then: else a request between the two would be missed,
 * and the drain could end while it runs.
 */
@FunctionalInterface
public interface Settle {

    /** For tests and tools without event loops: nothing can be between the read and the count. */
    Settle IMMEDIATELY = () -> CompletableFuture.completedFuture(null);

    CompletableFuture<?> afterRequestsInProgress();
}
