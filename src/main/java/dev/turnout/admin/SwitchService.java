package dev.turnout.admin;

import dev.turnout.routing.Backend;
import dev.turnout.routing.Pool;
import dev.turnout.routing.RoutingSnapshot;
import dev.turnout.routing.TrafficSwitch;
import dev.turnout.state.StateFile;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Flips traffic between pools: publishes the new snapshot, saves it, retires the old pool's idle
 * connections and watches the old pool drain. Runs on the admin executor, never on an event loop.
 */
public final class SwitchService {

    private static final Logger log = LoggerFactory.getLogger(SwitchService.class);
    private static final long DRAIN_POLL_MILLIS = 5;

    private final TrafficSwitch traffic;
    private final Optional<StateFile> state;
    private final Duration drainTimeout;
    private final ScheduledExecutorService executor;

    public SwitchService(TrafficSwitch traffic, Optional<StateFile> state, Duration drainTimeout, ScheduledExecutorService executor) {
        this.traffic = traffic;
        this.state = state;
        this.drainTimeout = drainTimeout;
        this.executor = executor;
    }

    /** Flips to {@code to}, or to the other pool when there are exactly two. */
    CompletableFuture<SwitchResult> switchTo(Optional<String> to, String by, boolean waitForDrain) {
        return onExecutor(() -> {
            RoutingSnapshot now = traffic.current();
            Pool target;
            if (to.isPresent()) {
                target = now.pool(to.get()).orElseThrow(() -> new SwitchRefused(HttpResponseStatus.NOT_FOUND, "unknown_pool",
                        "no pool named \"" + to.get() + "\" (pools: " + String.join(", ", now.poolNames()) + ")"));
            } else if (now.pools().size() == 2) {
                target = now.pools().get(0) == now.active() ? now.pools().get(1) : now.pools().get(0);
            } else {
                throw new SwitchRefused(HttpResponseStatus.BAD_REQUEST, "target_required",
                        "there are " + now.pools().size() + " pools; name one with ?to= (pools: " + String.join(", ", now.poolNames()) + ")");
            }
            return flip(target, "switch", by, waitForDrain);
        });
    }

    /** Flips back to the pool that was active before the last flip. */
    CompletableFuture<SwitchResult> rollback(String by, boolean waitForDrain) {
        return onExecutor(() -> {
            Pool target = traffic.current().previous().orElseThrow(() -> new SwitchRefused(HttpResponseStatus.CONFLICT,
                    "no_previous_pool", "nothing to roll back to: no flip has happened yet"));
            return flip(target, "rollback", by, waitForDrain);
        });
    }

    private CompletableFuture<SwitchResult> onExecutor(java.util.function.Supplier<CompletableFuture<SwitchResult>> work) {
        return CompletableFuture.supplyAsync(work, executor).thenCompose(f -> f);
    }

    private CompletableFuture<SwitchResult> flip(Pool target, String action, String by, boolean waitForDrain) {
        TrafficSwitch.Flip flip = traffic.flipTo(target);
        RoutingSnapshot after = flip.after();
        Pool old = flip.before().active();
        if (!flip.changed()) {
            log.info("{} to {} by {}: already active (generation {})", action, target.name(), by, after.generation());
            return CompletableFuture.completedFuture(
                    new SwitchResult(old.name(), target.name(), after.generation(), false, 0, null, null, null));
        }
        save(after);
        for (Backend b : old.backends()) {
            b.idle().closeAll();
        }
        long startNanos = System.nanoTime();
        SwitchResult flipped = new SwitchResult(old.name(), target.name(), after.generation(), true, old.inFlight(), null, null, null);
        CompletableFuture<SwitchResult> drained = new CompletableFuture<>();
        watchDrain(old, startNanos, flipped, drained);
        drained.thenAccept(r -> log.info("{} {} -> {} generation {} by {}: {}", action, r.from(), r.to(), r.generation(), by,
                r.drained() ? "drained " + r.inFlightAtSwitch() + " in-flight in " + r.drainMillis() + "ms"
                        : "drain incomplete after " + r.drainMillis() + "ms, " + r.remaining() + " still in flight"));
        return waitForDrain ? drained : CompletableFuture.completedFuture(flipped);
    }

    /** Polls the old pool's in-flight count until it is zero, the pool is active again, or the drain timeout passes. */
    private void watchDrain(Pool old, long startNanos, SwitchResult flipped, CompletableFuture<SwitchResult> done) {
        int remaining = old.inFlight();
        long elapsedNanos = System.nanoTime() - startNanos;
        long millis = TimeUnit.NANOSECONDS.toMillis(elapsedNanos);
        if (remaining == 0) {
            done.complete(flipped.withDrain(true, millis, 0));
        } else if (traffic.current().active() == old || elapsedNanos >= drainTimeout.toNanos()) {
            done.complete(flipped.withDrain(false, millis, remaining));
        } else {
            executor.schedule(() -> watchDrain(old, startNanos, flipped, done), DRAIN_POLL_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private void save(RoutingSnapshot snapshot) {
        state.ifPresent(file -> {
            try {
                file.write(snapshot);
            } catch (java.io.IOException | RuntimeException e) {
                log.error("could not save the active pool to {}: {}; traffic moved, but a restart would not remember it",
                        file.path(), e.toString());
            }
        });
    }
}
