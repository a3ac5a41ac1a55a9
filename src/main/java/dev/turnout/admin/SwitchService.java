package dev.turnout.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnout.base.LogLimit;
import dev.turnout.cluster.ClusterNode;
import dev.turnout.cluster.ClusterState;
import dev.turnout.config.ProxyConfig;
import dev.turnout.metrics.TurnoutMetrics;
import dev.turnout.routing.Drain;
import dev.turnout.routing.Pool;
import dev.turnout.routing.RollbackWatch;
import dev.turnout.routing.RoutingSnapshot;
import dev.turnout.routing.TrafficSwitch;
import dev.turnout.state.FlipReason;
import dev.turnout.state.FlipRecord;
import dev.turnout.state.StateFile;
import dev.turnout.state.SwitchHistory;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Flips traffic between pools: checks the gate, publishes the new snapshot (with a rollback watch
 * on the new pool), records and saves the flip, and waits on the old pool's drain. Runs on the
 * admin executor, never on an event loop.
 */
public final class SwitchService {

    private static final Logger log = LoggerFactory.getLogger(SwitchService.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TrafficSwitch traffic;
    private final Optional<StateFile> state;
    private final SwitchHistory history;
    private final SwitchGate gate;
    private final TurnoutMetrics metrics;
    private final EventStreams events;
    private final LiveEvents live;
    private final ScheduledExecutorService executor;
    /** Present in cluster mode: flips are committed in etcd, and applied when etcd's watch delivers them. */
    private final Optional<ClusterNode> cluster;
    /** Flips committed by this replica that its watch has not applied yet, by generation; on the executor only. */
    private final Map<Long, CompletableFuture<Flipped>> applied = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, CompletableFuture<Flipped>> eldest) {
            return size() > 64;
        }
    };
    /** The INFO lines of switches the gate refused, under the gate's name (flips are logged under this class's). */
    private final LogLimit refusals = LogLimit.of(LoggerFactory.getLogger(SwitchGate.class));
    /** The last switch operation; the next starts once it has flipped or failed. Touched on the executor only. */
    private CompletableFuture<?> last = CompletableFuture.completedFuture(null);

    public SwitchService(TrafficSwitch traffic, Optional<StateFile> state, SwitchHistory history, SwitchGate gate,
                         TurnoutMetrics metrics, EventStreams events, LiveEvents live, ScheduledExecutorService executor,
                         Optional<ClusterNode> cluster) {
        this.traffic = traffic;
        this.state = state;
        this.history = history;
        this.gate = gate;
        this.metrics = metrics;
        this.events = events;
        this.live = live;
        this.executor = executor;
        this.cluster = cluster;
    }

    SwitchHistory history() {
        return history;
    }

    Optional<ClusterNode> cluster() {
        return cluster;
    }

    /** Flips to {@code to}, or to the other pool when there are exactly two. */
    CompletableFuture<SwitchResult> switchTo(Optional<String> to, String by, boolean waitForDrain, boolean force) {
        return serialized(() -> {
            RoutingSnapshot now = traffic.current();
            Pool target;
            if (to.isPresent()) {
                target = now.pool(to.get()).orElseThrow(() -> SwitchRefused.unknownPool(
                        "no pool named \"" + to.get() + "\" (pools: " + String.join(", ", now.poolNames()) + ")"));
            } else if (now.pools().size() == 2) {
                target = now.pools().get(0) == now.active() ? now.pools().get(1) : now.pools().get(0);
            } else {
                throw SwitchRefused.targetRequired(
                        "there are " + now.pools().size() + " pools; name one with ?to= (pools: " + String.join(", ", now.poolNames()) + ")");
            }
            return gated(target, FlipReason.MANUAL, by, force);
        }, waitForDrain);
    }

    /** Flips back to the pool that was active before the last flip. */
    CompletableFuture<SwitchResult> rollback(String by, boolean waitForDrain, boolean force) {
        return serialized(() -> {
            Pool target = traffic.current().previous().orElseThrow(() -> SwitchRefused.noPreviousPool(
                    "nothing to roll back to: no flip has happened yet"));
            return gated(target, FlipReason.ROLLBACK, by, force);
        }, waitForDrain);
    }

    /** Called by a tripped watch from any thread: flips back unless traffic moved on since. */
    private void autoRollback(RollbackWatch watch, String why) {
        serialized(() -> {
            RoutingSnapshot now = traffic.current();
            if (now.watch().orElse(null) != watch || now.previous().isEmpty()) {
                return CompletableFuture.completedFuture(null);
            }
            log.warn("auto-rollback of {} to {}: {}", watch.pool().name(), now.previous().get().name(), why);
            return commit(now.previous().get().name(), FlipReason.AUTO_ROLLBACK, "turnout", false, why);
        }, false).whenComplete((r, failure) -> {
            if (failure != null) {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
                // In cluster mode another replica's flip may have won (that replica rolled back first): said, not an error.
                log.info("auto-rollback of {} not made here: {}", watch.pool().name(), cause.getMessage());
            }
        });
    }

    /** A flip as it happened: its answer right away, and the answer once the old pool has drained. */
    private record Flipped(SwitchResult result, CompletableFuture<SwitchResult> drained) {}

    /**
     * Runs switch operations one after another, each from the state the one before left: a gate
     * (smoke requests take a while) never judges a target that another switch has moved away from.
     * Only the flip is serialized, not the drain that follows it.
     */
    private CompletableFuture<SwitchResult> serialized(Supplier<CompletableFuture<Flipped>> operation, boolean waitForDrain) {
        return CompletableFuture.supplyAsync(() -> {
            CompletableFuture<Flipped> mine = last.handle((r, e) -> null).thenComposeAsync(x -> operation.get(), executor);
            last = mine;
            return mine;
        }, executor).thenCompose(f -> f).thenCompose(f -> f == null ? CompletableFuture.completedFuture(null)
                : waitForDrain ? f.drained() : CompletableFuture.completedFuture(f.result()));
    }

    private CompletableFuture<Flipped> gated(Pool target, FlipReason reason, String by, boolean force) {
        if (force || traffic.current().active() == target) {
            return commit(target.name(), reason, by, force, null);
        }
        return gate.check(target, traffic.current().config())
                .whenComplete((ok, failure) -> {
                    Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
                    if (cause instanceof SwitchRefused refused) {
                        refused.gateCheck().ifPresent(metrics::switchRefused);
                        events.publish("refusal", refused.body.deepCopy().put("target", target.name()).put("by", by)
                                .put("status", refused.status.code()));
                        refusals.info("{} to {} by {} refused by the gate with {}: {}", reason == FlipReason.MANUAL ? "switch" : reason,
                                target.name(), by, refused.status.code(), refused.getMessage());
                    }
                })
                .thenComposeAsync(ok -> commit(target.name(), reason, by, false, null), executor);
    }

    /**
     * Makes the flip happen: here at once, or in cluster mode by a compare-and-set in etcd, after which
     * this replica applies it when its watch delivers it, as every replica does. Runs on the executor.
     */
    private CompletableFuture<Flipped> commit(String target, FlipReason reason, String by, boolean forced, String detail) {
        RoutingSnapshot now = traffic.current();
        if (cluster.isEmpty() || now.active().name().equals(target)) {
            return CompletableFuture.completedFuture(flipHere(target, reason, by, forced, detail));
        }
        ClusterNode node = cluster.get();
        FlipRecord proposed = FlipRecord.builder().at(Instant.now()).from(now.active().name()).to(target)
                .generation(now.generation() + 1).reason(reason).forced(forced).by(by).detail(detail).build();
        CompletableFuture<Flipped> mine = appliedAt(proposed.generation());
        Instant deadline = Instant.now().plus(now.config().drain().timeout());
        return node.propose(proposed).handleAsync((state, failure) -> {
            if (failure == null) {
                return mine;
            }
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            ClusterNode.NotCommitted refused = cause instanceof ClusterNode.NotCommitted n ? n
                    : new ClusterNode.NotCommitted(cause.toString(), Optional.empty());
            applied.remove(proposed.generation());
            if (refused.current().isPresent()) {
                throw SwitchRefused.conflict(refused.getMessage(), refused.current().get());
            }
            if (reason == FlipReason.AUTO_ROLLBACK) {
                // Traffic must leave a failing pool now, not when etcd is back: alone, then written to etcd later.
                Flipped alone = flipHere(target, reason, by, forced, detail);
                node.flippedAlone(node.latest().after(proposed, System.currentTimeMillis()));
                return CompletableFuture.completedFuture(alone);
            }
            throw SwitchRefused.clusterUnavailable("etcd does not answer, so no replica could flip (" + refused.getMessage()
                    + "); traffic stays on " + now.active().name());
        }, executor).thenCompose(f -> f).thenApply(f -> node.waitsForAll() ? new Flipped(f.result(),
                f.drained().thenCompose(r -> node.drains(r.generation(), deadline).thenApply(r::withReplicas)
                        // The flip stands on every replica that applied it; only the report of the others is missing.
                        .exceptionally(e -> r.withReplicas(List.of(JSON.createObjectNode()
                                .put("error", "etcd did not answer with the replicas' drains: " + e.getMessage())))))) : f);
    }

    private CompletableFuture<Flipped> appliedAt(long generation) {
        return applied.computeIfAbsent(generation, g -> new CompletableFuture<>());
    }

    /**
     * A state the cluster committed, delivered by etcd's watch (this replica's own flips included), on
     * the executor: flipped to here as a local flip is, its drain reported to etcd when it ends.
     */
    public void applyCommitted(ClusterState state) {
        RoutingSnapshot now = traffic.current();
        if (state.generation() < now.generation()
                || state.generation() == now.generation() && state.active().equals(now.active().name())) {
            return;
        }
        FlipRecord made = state.lastFlip().orElseGet(() -> FlipRecord.builder().at(Instant.now()).from(now.active().name())
                .to(state.active()).generation(state.generation()).reason(FlipReason.MANUAL).by("cluster").build());
        Flipped flipped;
        try {
            flipped = flip(state.active(), made.reason(), made.by(), made.forced(), made.detail(), Instant.parse(made.at()),
                    OptionalLong.of(state.generation()), state.previous());
        } catch (SwitchRefused e) {
            log.error("cluster {}: cannot apply generation {}: {}", cluster.get().name(), state.generation(), e.getMessage());
            appliedAt(state.generation()).completeExceptionally(e);
            return;
        }
        ClusterNode node = cluster.get();
        flipped.drained().thenAccept(r -> node.reportDrain(r.generation(), JSON.createObjectNode().put("id", node.replica())
                .put("applied", true).put("inFlightAtSwitch", r.inFlightAtSwitch())
                .put("drained", r.drained() == null || r.drained()).put("drainMillis", r.drainMillis() == null ? 0 : r.drainMillis())));
        appliedAt(state.generation()).complete(flipped);
        // A flip this replica committed but never saw (its watch broke, and the read after it found a later
        // one): its caller learns that it was superseded rather than waiting forever.
        applied.entrySet().removeIf(pending -> {
            if (pending.getKey() < state.generation() && !pending.getValue().isDone()) {
                pending.getValue().completeExceptionally(SwitchRefused.conflict("committed as generation " + pending.getKey()
                        + ", then superseded by generation " + state.generation() + " before this replica applied it", state));
                return true;
            }
            return false;
        });
    }

    /** A flip of this Turnout alone, now, at the next generation. */
    private Flipped flipHere(String target, FlipReason reason, String by, boolean forced, String detail) {
        return flip(target, reason, by, forced, detail, Instant.now(), OptionalLong.empty(), Optional.empty());
    }

    /** {@code generation}: the cluster's, in cluster mode; empty for a local flip, which takes the next one. */
    private Flipped flip(String target, FlipReason reason, String by, boolean forced, String detail, Instant at,
                         OptionalLong generation, Optional<String> previous) {
        // An automatic rollback is not watched in turn: it must never flap back to the pool it fled.
        ProxyConfig config = traffic.current().config();
        BiFunction<Pool, Pool, Optional<RollbackWatch>> watchFor = (from, to) -> config.rollback().auto()
                && reason != FlipReason.AUTO_ROLLBACK
                ? Optional.of(new RollbackWatch(to, from.outcomes().tally(), forced, config.rollback(), config.health().fall(),
                        this::autoRollback, traffic.time()))
                : Optional.empty();
        TrafficSwitch.Flip flip;
        try {
            flip = generation.isPresent() ? traffic.applyCommitted(target, previous, generation.getAsLong(), watchFor)
                    : traffic.flipTo(target, watchFor);
        } catch (IllegalArgumentException e) {
            throw SwitchRefused.poolRemoved(e.getMessage());
        }
        RoutingSnapshot after = flip.after();
        Pool old = flip.before().active();
        if (!flip.changed()) {
            log.info("{} to {} by {}: already active (generation {})", reason, target, by, after.generation());
            SwitchResult same = SwitchResult.unchanged(target, after.generation());
            return new Flipped(same, CompletableFuture.completedFuture(same));
        }
        FlipRecord record = FlipRecord.builder()
                .at(at)
                .from(old.name())
                .to(target)
                .generation(after.generation())
                .reason(reason)
                .forced(forced)
                .by(by)
                .detail(detail)
                .build();
        if (flip.drain().isEmpty()) {
            // The cluster flipped away and back while this replica missed it: only the generation moved.
            history.add(record.withDrain(true, 0));
            SwitchResult same = SwitchResult.flipped(record, 0, 0, save()).withDrain(true, 0, 0);
            return new Flipped(same, CompletableFuture.completedFuture(same));
        }
        history.add(record);
        metrics.flip(reason);
        boolean saved = save();
        Drain drain = flip.drain().orElseThrow();
        ObjectNode flipped = JSON.valueToTree(record);
        flipped.remove(List.of("drained", "drainMillis"));
        events.publish("flip", flipped.put("inFlightAtSwitch", drain.inFlightAtStart()).put("tunnelsAtSwitch", drain.tunnelsAtStart()));
        live.flipped(old.name(), after.generation(), drain, after.watch());
        SwitchResult result = SwitchResult.flipped(record, drain.inFlightAtStart(), drain.tunnelsAtStart(), saved);
        CompletableFuture<SwitchResult> drained = drain.await(config.drain().timeout(), executor)
                .thenApply(d -> {
                    if (d.drained()) {
                        metrics.drained(Duration.ofMillis(d.millis()));
                    }
                    return result.withDrain(d.drained(), d.millis(), d.remaining());
                });
        drained.thenAcceptAsync(r -> {
            history.update(record.withDrain(r.drained(), r.drainMillis()));
            save();
            log.info("{} {} -> {} generation {} by {}{}: {}", reason, r.from(), r.to(), r.generation(), by, forced ? " (forced)" : "",
                    r.drained() ? "drained " + r.inFlightAtSwitch() + " in-flight in " + r.drainMillis() + "ms"
                            : "drain incomplete after " + r.drainMillis() + "ms, " + r.remaining() + " still in flight");
        }, executor);
        return new Flipped(result, drained);
    }

    /** False when there is no state file or writing it failed: the flip stands, but a restart would not remember it. */
    private boolean save() {
        if (state.isEmpty()) {
            return false;
        }
        try {
            state.get().write(traffic.current(), history.records());
            return true;
        } catch (java.io.IOException | RuntimeException e) {
            log.warn("could not save the active pool to {}: {}; traffic moved, but a restart would not remember it",
                    state.get().path(), e.toString());
            return false;
        }
    }
}
