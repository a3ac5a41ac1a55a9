package dev.turnout.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnout.config.ProxyConfig;
import dev.turnout.state.FlipRecord;
import io.etcd.jetcd.Watch;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This replica's place in the cluster: it keeps the latest state etcd holds (read at start, then
 * delivered by a watch, in revision order), hands each newer one to whoever applies flips, proposes
 * flips by compare-and-set, holds its lease and record under {@code replicas/<id>}, and knows whether
 * etcd answers. Everything but the etcd calls themselves runs on the admin executor, so the fields
 * have one writer.
 */
public final class ClusterNode implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ClusterNode.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Drain reports kept per replica: a switch waits only for the one of its own generation. */
    private static final int KEPT_DRAINS = 16;

    /** Whether etcd answers this replica, and since when it does (or does not). */
    public record Connection(boolean connected, Instant since) {}

    /** A flip etcd did not take: another replica's won ({@code current}), or etcd did not answer (empty). */
    public static final class NotCommitted extends RuntimeException {
        private final transient Optional<ClusterState> current;

        public NotCommitted(String message, Optional<ClusterState> current) {
            super(message, null, false, false);
            this.current = current;
        }

        /** The state that won the race; empty when etcd could not be reached. */
        public Optional<ClusterState> current() {
            return current;
        }
    }

    private final ProxyConfig.Cluster config;
    private final String replica;
    private final List<String> pools;
    private final EtcdLedger ledger;
    private final ScheduledExecutorService executor;
    private final Map<String, Object> record;
    /** Applies a newer state to this replica's traffic; set by {@link #start}, called on the executor only. */
    private Consumer<ClusterState> apply;
    /** A flip this replica made alone while etcd did not answer (an automatic rollback), to write once it does. */
    private Optional<ClusterState> madeAlone = Optional.empty();
    /** Written on the executor, read by admin answers on the admin loop. */
    private volatile EtcdLedger.Versioned latest;
    private volatile Connection connection;
    private volatile long lease;
    private Watch.Watcher watcher;
    private volatile boolean closed;
    /** A renewal is in flight: the next tick skips rather than piling calls up behind a slow etcd. */
    private boolean renewing;
    /** Set when etcd's state names other pools than this replica's (found after a start while etcd was away). */
    private Optional<String> refusal = Optional.empty();

    private ClusterNode(ProxyConfig.Cluster config, String replica, List<String> pools, EtcdLedger ledger,
                        ScheduledExecutorService executor, Map<String, Object> record) {
        this.config = config;
        this.replica = replica;
        this.pools = List.copyOf(pools);
        this.ledger = ledger;
        this.executor = executor;
        this.record = record;
        this.connection = new Connection(false, Instant.now());
    }

    /**
     * Checks that this replica may join the cluster: when etcd answers and holds a state, its pool
     * names must be this replica's. {@link #start} then joins. When etcd does not answer, this replica
     * serves {@code local} and joins once it does.
     *
     * @param record this replica's fields for {@code GET /admin/cluster} (address, version, config digest)
     * @throws IOException when the cluster's pools are not this replica's: it must not serve another layout
     */
    public static ClusterNode connect(ProxyConfig.Cluster config, String replica, ClusterState local,
                                      ScheduledExecutorService executor, Map<String, Object> record) throws IOException {
        EtcdLedger ledger = EtcdLedger.connect(config);
        ClusterNode node = new ClusterNode(config, replica, local.pools(), ledger, executor, record);
        node.latest = new EtcdLedger.Versioned(local, 0);
        try {
            Optional<EtcdLedger.Versioned> found = ledger.state().get(EtcdLedger.TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS);
            if (found.isPresent() && !sameNames(found.get().state().pools(), local.pools())) {
                ledger.close();
                throw new IOException("cluster " + config.name() + " has pools " + found.get().state().pools()
                        + " but this replica's config has " + local.pools()
                        + ": replicas of one cluster need the same pool names (change pools, or cluster.name)");
            }
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            log.warn("cluster {}: etcd {} does not answer ({}); serving the state this replica last applied "
                    + "(generation {}) until it does", config.name(), config.etcd().endpoints(), rootCause(e), local.generation());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ledger.close();
            throw new IOException("interrupted while joining the cluster", e);
        }
        return node;
    }

    /**
     * Joins: reads the cluster's state (writing this replica's as the first when there is none), hands
     * every newer one to {@code apply} on the admin executor, and renews the lease.
     */
    public void start(Consumer<ClusterState> applyNewer) {
        executor.execute(() -> {
            apply = applyNewer;
            sync();
        });
        long every = Math.max(200, Math.min(1000, config.leaseTtl().toMillis() / 3));
        executor.scheduleWithFixedDelay(this::renew, every, every, TimeUnit.MILLISECONDS);
    }

    /**
     * This replica flipped alone to {@code state} while etcd did not answer (an automatic rollback acts
     * at once): it is written to etcd when etcd answers again, unless another replica's flip got there first.
     */
    public void flippedAlone(ClusterState state) {
        executor.execute(() -> {
            madeAlone = Optional.of(state);
            // At once, not at the next reconnect: etcd may answer the next call though it missed this one.
            sync();
        });
    }

    public String replica() {
        return replica;
    }

    public String name() {
        return config.name();
    }

    public Duration leaseTtl() {
        return config.leaseTtl();
    }

    /** Whether a switch answer waits for every live replica's drain ({@code cluster.drainWait: all}). */
    public boolean waitsForAll() {
        return config.drainWait() == ProxyConfig.Cluster.DrainWait.ALL;
    }

    public Connection connection() {
        return connection;
    }

    /** The last state read from etcd (or this replica's own, before etcd first answered). */
    public ClusterState latest() {
        return latest.state();
    }

    /**
     * Commits {@code flip} if the cluster is still at the generation before it: one compare-and-set in
     * etcd. Completes when etcd took it; fails with {@link NotCommitted} when another flip won or etcd
     * did not answer. This replica applies it when its watch delivers it, as every replica does.
     */
    public CompletableFuture<ClusterState> propose(FlipRecord flip) {
        return CompletableFuture.supplyAsync(() -> latest, executor).thenCompose(known -> {
            if (refusal.isPresent()) {
                throw new NotCommitted(refusal.get(), Optional.empty());
            }
            if (!connection.connected()) {
                // Not even tried: nothing is sent that etcd could apply once it is back.
                throw new NotCommitted("etcd does not answer (since " + connection.since() + ")", Optional.empty());
            }
            if (known.state().generation() != flip.generation() - 1) {
                throw new NotCommitted("the cluster is at generation " + known.state().generation(), Optional.of(known.state()));
            }
            ClusterState next = known.state().after(flip, System.currentTimeMillis());
            return ledger.compareAndSet(known, next).handle((outcome, failure) -> failure == null
                    ? CompletableFuture.completedFuture(outcome)
                    // No answer: the transaction may still have landed (etcd between leaders). Look before saying no.
                    : ledger.state().handle((found, again) -> {
                        if (again == null && found.isPresent() && found.get().state().generation() == next.generation()
                                && found.get().state().committedAtMillis() == next.committedAtMillis()) {
                            return new EtcdLedger.Outcome(true, found);
                        }
                        throw new NotCommitted("etcd did not take the flip: " + rootCause(failure), Optional.empty());
                    })).thenCompose(f -> f).thenApply(outcome -> {
                        if (!outcome.won()) {
                            throw new NotCommitted("another flip won", outcome.current().map(EtcdLedger.Versioned::state));
                        }
                        return next;
                    });
        });
    }

    /** Records this replica's drain of {@code generation}, for the switch answers that wait for every replica. */
    public void reportDrain(long generation, ObjectNode report) {
        if (lease == 0) {
            return;
        }
        ledger.putDrain(replica, generation, report.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8), lease)
                .thenCompose(x -> ledger.deleteDrain(replica, generation - KEPT_DRAINS))
                .exceptionally(e -> {
                    log.warn("cluster {}: could not report the drain of generation {}: {}", config.name(), generation, rootCause(e));
                    return null;
                });
    }

    /** Every live replica's record, as written under {@code replicas/<id>}. */
    public CompletableFuture<List<JsonNode>> replicas() {
        return ledger.replicas().thenApply(all -> {
            List<JsonNode> list = new ArrayList<>();
            all.forEach((id, bytes) -> {
                try {
                    list.add(JSON.readTree(bytes));
                } catch (IOException e) {
                    list.add(JSON.createObjectNode().put("id", id).put("error", "unreadable record: " + e.getMessage()));
                }
            });
            return list;
        });
    }

    /**
     * The drain reports of {@code generation} by every replica live now, polled until all are there or
     * {@code deadline}: a replica that has not reported by then is listed as not drained.
     */
    public CompletableFuture<List<JsonNode>> drains(long generation, Instant deadline) {
        return ledger.replicas().thenCompose(live -> ledger.drains(generation).thenCompose(reported -> {
            if (reported.keySet().containsAll(live.keySet()) || !Instant.now().isBefore(deadline)) {
                List<JsonNode> list = new ArrayList<>();
                for (String id : live.keySet()) {
                    list.add(reported.containsKey(id) ? read(reported.get(id))
                            : JSON.createObjectNode().put("id", id).put("applied", false).put("drained", false));
                }
                return CompletableFuture.completedFuture(list);
            }
            return CompletableFuture.supplyAsync(() -> null, CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS))
                    .thenCompose(x -> drains(generation, deadline));
        }));
    }

    /**
     * Reads the state and watches it from there; on the admin executor. The read is trusted as it is,
     * even at a lower revision than the last seen: etcd may have lost its data and started over.
     */
    private void sync() {
        if (closed) {
            return;
        }
        Optional<ClusterState> alone = madeAlone;
        ledger.state().thenCompose(found -> {
            if (found.isEmpty()) {
                return ledger.create(alone.orElse(latest.state())).thenApply(EtcdLedger.Outcome::current);
            }
            if (alone.isPresent() && alone.get().generation() > found.get().state().generation()) {
                // What this replica did while away is newer than anything etcd holds: it becomes the cluster's.
                ClusterState mine = new ClusterState(alone.get().active(), alone.get().previous(),
                        found.get().state().generation() + 1, alone.get().pools(), alone.get().history(),
                        System.currentTimeMillis());
                return ledger.compareAndSet(found.get(), mine).thenApply(EtcdLedger.Outcome::current);
            }
            return CompletableFuture.completedFuture(found);
        })
                .whenCompleteAsync((found, failure) -> {
                    try {
                        if (failure != null) {
                            disconnected(failure);
                            return;
                        }
                        if (madeAlone == alone) {
                            madeAlone = Optional.empty();
                        }
                        if (found.isPresent() && !sameNames(found.get().state().pools(), pools)) {
                            String why = "cluster " + config.name() + " has pools " + found.get().state().pools()
                                    + " but this replica's config has " + pools + ": it does not follow the cluster's flips";
                            if (refusal.isEmpty()) {
                                log.error("{} (change pools, or cluster.name, and restart)", why);
                            }
                            refusal = Optional.of(why);
                            return;
                        }
                        if (found.isPresent()) {
                            EtcdLedger.Versioned fresh = found.get();
                            boolean newer = fresh.state().generation() > latest.state().generation();
                            latest = new EtcdLedger.Versioned(latest.state(), fresh.revision());
                            take(fresh, newer);
                        }
                        if (watcher != null) {
                            watcher.close();
                        }
                        watcher = ledger.watchState(latest.revision(), v -> executor.execute(() -> take(v)),
                                e -> executor.execute(() -> disconnected(e)));
                        connected();
                    } catch (RuntimeException e) {
                        log.error("cluster {}: could not take etcd's state: {}", config.name(), e.toString());
                    }
                }, executor);
    }

    /** Pool names compared as a set: their order in proxy.yaml is not part of the layout. */
    public static boolean sameNames(List<String> a, List<String> b) {
        return new java.util.TreeSet<>(a).equals(new java.util.TreeSet<>(b));
    }

    /** A state from etcd's watch: newer generations are applied, in order, the latest only when some were missed. */
    private void take(EtcdLedger.Versioned found) {
        if (found.revision() < latest.revision() || found.state().generation() < latest.state().generation()) {
            return;
        }
        take(found, found.state().generation() > latest.state().generation());
    }

    private void take(EtcdLedger.Versioned found, boolean newer) {
        if (!newer) {
            latest = found;
            return;
        }
        try {
            apply.accept(found.state());
        } catch (RuntimeException e) {
            // Not taken as applied: the next read of the state tries again.
            log.error("cluster {}: could not apply generation {}: {}", config.name(), found.state().generation(), e.toString());
            return;
        }
        latest = found;
        long committed = found.state().committedAtMillis();
        // The convergence bench/cluster.sh reads: from just before the compare-and-set to serving the new pool here.
        log.info("cluster {}: applied generation {} ({} active){}", config.name(), found.state().generation(),
                found.state().active(), committed > 0 ? ", " + (System.currentTimeMillis() - committed) + " ms after its commit" : "");
        publishRecord();
    }

    /** Renews the lease (granting one first), which also tells whether etcd answers; on the admin executor. */
    private void renew() {
        if (closed || renewing) {
            return;
        }
        renewing = true;
        CompletableFuture<Void> renewed = lease == 0 ? ledger.grantLease(config.leaseTtl()).thenAcceptAsync(id -> lease = id, executor)
                : ledger.renew(lease);
        renewed.whenCompleteAsync((ok, failure) -> {
            renewing = false;
            if (failure == null) {
                // The record's renewedAt is the last renewal GET /admin/cluster shows.
                publishRecord();
                if (!connection.connected()) {
                    connected();
                    // Whatever was missed while away: the watch resumes too, but a fresh read is certain.
                    sync();
                }
                return;
            }
            if (rootCause(failure).contains("expired") || rootCause(failure).contains("not found")) {
                lease = 0;
            }
            disconnected(failure);
        }, executor);
    }

    private void publishRecord() {
        if (lease == 0) {
            return;
        }
        ObjectNode json = JSON.valueToTree(record);
        json.put("id", replica).put("applied", latest.state().generation()).put("renewedAt", Instant.now().toString());
        json.set("pools", JSON.valueToTree(pools));
        ledger.putReplica(replica, json.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8), lease)
                .exceptionally(e -> null);
    }

    private void connected() {
        if (!connection.connected()) {
            connection = new Connection(true, Instant.now());
            log.info("cluster {}: etcd answers; this replica is at generation {}", config.name(), latest.state().generation());
        }
    }

    private void disconnected(Throwable why) {
        if (connection.connected()) {
            connection = new Connection(false, Instant.now());
            log.warn("cluster {}: etcd does not answer ({}); serving generation {} until it does", config.name(), rootCause(why),
                    latest.state().generation());
        }
    }

    private static JsonNode read(byte[] bytes) {
        try {
            return JSON.readTree(bytes);
        } catch (IOException e) {
            return JSON.createObjectNode().put("error", "unreadable report: " + e.getMessage());
        }
    }

    static String rootCause(Throwable t) {
        Throwable cause = t;
        while ((cause instanceof CompletionException || cause instanceof java.util.concurrent.ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    }

    @Override
    public void close() {
        closed = true;
        if (watcher != null) {
            watcher.close();
        }
        if (lease != 0) {
            try {
                // Leaving now rather than after the lease runs out: no switch waits for a replica that is gone.
                ledger.revoke(lease).get(EtcdLedger.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                log.debug("cluster {}: lease not revoked: {}", config.name(), rootCause(e));
            }
        }
        ledger.close();
    }
}
